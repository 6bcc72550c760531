"""Hand-built rencontres and contributions for the priorities tests (ORM, no service)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from q2030 import cube
from q2030.campaigns import active_campaign
from q2030.models import Contribution, Qpv, Rencontre, RencontreQpv


def qpv(session: Session, code: str, departement: str, nom: str = "") -> str:
    geographie = active_campaign(session).geographie
    session.add(Qpv(code=code, nom=nom or f"Quartier {code}", departement_code=departement, geographie=geographie))
    session.flush()
    return code


def rencontre(
    session: Session,
    departement: str,
    contributions: list[tuple[str, str, str]] | list[tuple[str, str, str, int | None]],
    *,
    date: dt.date = dt.date(2023, 6, 15),
    statut: str = "tenue",
    format: str = "reunion_publique",
    qpv_codes: tuple[str, ...] = (),
    lieu: str = "Centre social",
    public: str = "tous",
    campaign_id: int | None = None,
) -> Rencontre:
    """A rencontre with contributions (axe, theme, texte[, rang]): rang defaults to the position, 0 = unranked."""
    meeting = Rencontre(
        campaign_id=campaign_id or active_campaign(session).id,  # type: ignore[arg-type]
        departement_code=departement,
        statut=statut,
        date=date,
        lieu=lieu,
        format=format,
    )
    session.add(meeting)
    session.flush()
    for code in qpv_codes:
        session.add(RencontreQpv(rencontre_id=meeting.id, qpv_code=code))  # type: ignore[arg-type]
    for position, item in enumerate(contributions, start=1):
        axe, theme, texte = item[0], item[1], item[2]
        rang = item[3] if len(item) > 3 and item[3] is not None else position
        rang = None if rang == 0 else rang  # 0: unranked
        session.add(
            Contribution(rencontre_id=meeting.id, axe=axe, theme=theme, texte=texte, rang=rang, public=public)  # type: ignore[arg-type]
        )
    cube.actualiser(session, [meeting.id])  # rows written without the services: keep the read model in step
    return meeting


def c(
    theme: str, texte: str = "", axe: str = "changements", rang: int | None = None
) -> tuple[str, str, str, int | None]:
    return (axe, theme, texte or f"Texte sur {theme}", rang)
