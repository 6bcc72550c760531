"""Hand-built rows for tests: QPV and rencontres written directly with the ORM.

`rencontre(...)` writes the RencontreQpv links the way the entry service does: direct for
a "quartier" perimeter, direct=False for each QPV of a commune or EPCI perimeter.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from q2030.campaigns import active_campaign
from q2030.models import Document, Qpv, Rencontre, RencontreQpv


def qpv(session: Session, code: str, departement: str, *, geographie: str = "2024", nom: str = "") -> Qpv:
    row = Qpv(code=code, nom=nom or f"Quartier {code}", departement_code=departement, geographie=geographie)
    session.add(row)
    session.flush()
    return row


def rencontre(
    session: Session,
    *,
    departement: str,
    date: dt.date,
    qpv: list[str],
    statut: str = "tenue",
    perimetre: str = "quartier",
    synthese_envoyee_le: dt.date | None = None,
    campaign_id: int | None = None,
) -> Rencontre:
    row = Rencontre(
        campaign_id=campaign_id or active_campaign(session).id,
        departement_code=departement,
        statut=statut,
        date=date,
        perimetre=perimetre,
        lieu=f"Salle {date:%d/%m}",
        participants=20 if statut == "tenue" else None,
        synthese_envoyee_le=synthese_envoyee_le,
        motif_annulation="Salle indisponible" if statut == "annulee" else "",
    )
    session.add(row)
    session.flush()
    for code in qpv:
        session.add(RencontreQpv(rencontre_id=row.id, qpv_code=code, direct=perimetre == "quartier"))
    session.flush()
    return row


def compte_rendu(session: Session, rencontre_id: int, *, depose_le: dt.datetime | None = None) -> Document:
    row = Document(
        rencontre_id=rencontre_id,
        nom_fichier="compte-rendu.pdf",
        type_mime="application/pdf",
        taille=1000,
        sha256="0" * 64,
        depose_le=depose_le or dt.datetime(2023, 7, 1, 12, 0, tzinfo=dt.UTC),
    )
    session.add(row)
    session.flush()
    return row
