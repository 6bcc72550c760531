"""Rencontres and contributions for the priorities tests, written through the services.

`rencontre(...)` saves the meeting with `create_rencontre` and its contributions with
`replace_contributions` as the département's référent: the same validation, access rule,
audit and after-write step (the read model) as a typed meeting. A meeting without QPV is
kept « à préciser » (as a platform's event); a cancelled one had its contributions saved
while planned, then was cancelled.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from q2030.campaigns import active_campaign
from q2030.contributions import LigneContribution, replace_contributions
from q2030.models import Campaign, Qpv, Rencontre, stored_id
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre
from tests.factories import referent


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
    actor = referent(departement)
    meeting = create_rencontre(
        session,
        actor=actor,
        data={
            "departement_code": departement,
            "statut": "prevue" if statut == "annulee" else statut,
            "date": date,
            "lieu": lieu,
            "format": format,
            "perimetre": "quartier",
            "qpv_codes": list(qpv_codes),
        },
        allow_duplicate=True,
        a_preciser=not qpv_codes,
    )
    rows: list[LigneContribution] = []
    for position, item in enumerate(contributions, start=1):
        axe, theme, texte, *rest = item
        rang = rest[0] if rest and rest[0] is not None else position
        rows.append({"axe": str(axe), "theme": str(theme), "texte": str(texte), "rang": rang or None, "public": public})
    if rows:
        saved = replace_contributions(session, actor=actor, rencontre_id=stored_id(meeting), rows=rows)
        meeting.version = saved.version
    if statut == "annulee":
        cancel_rencontre(
            session, actor=actor, rencontre_id=stored_id(meeting), version=meeting.version, motif="Salle indisponible"
        )
    if campaign_id is not None and campaign_id != meeting.campaign_id:  # an earlier campaign's meeting
        assert session.get(Campaign, campaign_id) is not None
        meeting.campaign_id = campaign_id
        session.flush()
    return meeting


def c(
    theme: str, texte: str = "", axe: str = "changements", rang: int | None = None
) -> tuple[str, str, str, int | None]:
    return (axe, theme, texte or f"Texte sur {theme}", rang)
