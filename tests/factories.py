"""Test rows: QPV written directly (reference data), rencontres and comptes rendus through the services.

`rencontre(...)` saves through `rencontres.ecriture.create_rencontre` and `compte_rendu(...)`
through `documents.add_document`, as the département's référent, so a test's rows pass the same
validation, access rule and audit as typed ones. A
"commune" or "epci" perimeter over hand-picked QPV gets a commune or an EPCI made of exactly
those QPV (reference rows the service then reads), as a real perimeter would.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from q2030.access import Actor
from q2030.documents import add_document
from q2030.models import Campaign, Document, Epci, Qpv, QpvCommune, QpvEpci, Rencontre
from q2030.rencontres.ecriture import create_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from tests.helpers import pdf_document


def qpv(session: Session, code: str, departement: str, *, geographie: str = "2024", nom: str = "") -> Qpv:
    row = Qpv(code=code, nom=nom or f"Quartier {code}", departement_code=departement, geographie=geographie)
    session.add(row)
    session.flush()
    return row


def referent(departement: str) -> Actor:
    """The département's référent, who writes the factories' rencontres."""
    return Actor(email=f"referent.{departement.lower()}@test.gouv.fr", role="referent", departement_code=departement)


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
    data: SaisieRencontre = {
        "departement_code": departement,
        "statut": statut,
        "date": date,
        "perimetre": perimetre,
        "lieu": f"Salle {date:%d/%m}",
        "participants": 20 if statut == "tenue" else None,
        "synthese_envoyee_le": synthese_envoyee_le,
        "motif_annulation": "Salle indisponible" if statut == "annulee" else "",
    }
    if perimetre == "quartier":
        data["qpv_codes"] = list(qpv)
    elif perimetre == "commune":
        data["commune_insee"] = _commune(session, departement, qpv)
    else:
        data["epci_siren"] = _epci(session, qpv)
    row = create_rencontre(session, actor=referent(departement), data=data, allow_duplicate=True)
    if campaign_id is not None and campaign_id != row.campaign_id:  # an earlier campaign's meeting
        assert session.get(Campaign, campaign_id) is not None
        row.campaign_id = campaign_id
        session.flush()
    return row


def _commune(session: Session, departement: str, codes: list[str]) -> str:
    """A commune covering exactly these QPV (a new INSEE code per set)."""
    number = len(session.exec(select(QpvCommune.insee).distinct()).all()) + 1
    insee = f"{departement[:2]}{900 + number:03d}"
    session.add_all(QpvCommune(qpv_code=code, insee=insee, nom=f"Commune {insee}") for code in codes)
    session.flush()
    return insee


def _epci(session: Session, codes: list[str]) -> str:
    """An EPCI covering exactly these QPV."""
    number = len(session.exec(select(Epci.siren)).all()) + 1
    siren = f"{900_000_000 + number}"
    session.add(Epci(siren=siren, nom=f"Intercommunalité {number}"))
    session.flush()
    session.add_all(QpvEpci(qpv_code=code, epci_siren=siren) for code in codes)
    session.flush()
    return siren


def compte_rendu(session: Session, rencontre_id: int, *, depose_le: dt.datetime | None = None) -> Document:
    """A compte rendu deposited by the département's référent through the upload service (a real
    one-page PDF, checked and stored like any upload), at `depose_le` (01/07/2023 12:00 by default)."""
    row = session.get(Rencontre, rencontre_id)
    assert row is not None
    return add_document(
        session,
        actor=referent(row.departement_code),
        rencontre_id=rencontre_id,
        filename="compte-rendu.pdf",
        content=pdf_document(f"Compte rendu {rencontre_id}"),
        depose_le=depose_le or dt.datetime(2023, 7, 1, 12, 0, tzinfo=dt.UTC),
    )
