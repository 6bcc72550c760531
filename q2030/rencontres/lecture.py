"""Reading rencontres: one rencontre for the form, the département's list with its report
chain (one SQL query), the form's perimeter options, and a rencontre's QPV links.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from q2030.access import Action, Actor, Lecteur, allowed, lecture, require
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.db import select_columns
from q2030.errors import ValidationError
from q2030.frontieres import ValeurChamp
from q2030.models import Contribution, Document, Epci, Qpv, QpvCommune, QpvEpci, Rencontre, RencontreQpv
from q2030.nomenclature import StatutRencontre
from q2030.rencontres.acces import cible, find_rencontre, require_read, require_read_rencontre


def get_rencontre(session: Session, *, actor: Actor, rencontre_id: int) -> dict[str, ValeurChamp]:
    """Plain values of one rencontre for a form: columns + `qpv_codes` (direct QPV). An
    organiser does not read the référent's internal notes."""
    rencontre = find_rencontre(session, rencontre_id)
    require_read_rencontre(actor, rencontre)
    values = rencontre.model_dump()
    if not allowed(actor, Action.LIRE_NOTES, cible(rencontre)):
        values["notes"] = ""
    values["qpv_codes"] = qpv_directs(session, rencontre_id)
    values["qpv_couverts"] = qpv_couverts(session, rencontre_id)
    return values


LIST_COLUMNS = [
    "id",
    "version",
    "date",
    "heure_debut",
    "statut",
    "lieu",
    "perimetre",
    "quartiers",
    "nb_quartiers",
    "participants",
    "comptes_rendus",
    "synthese_envoyee_le",
    "contributions",
    "validation",
    "organisation",
    "chaine_complete",
]


def list_rencontres(
    session: Session,
    *,
    actor: Lecteur,
    departement_code: str,
    qpv_code: str | None = None,
    statut: str | None = None,
    month: str | dt.date | None = None,
    comptees: bool = False,
) -> pd.DataFrame:
    """The département's rencontres with their report chain, one SQL query.

    Declared meetings awaiting validation are listed too (column `validation`) unless
    `comptees` (only those that count, comptage.compte).
    `month` is "AAAA-MM" (or any date in the month). Counts are correlated subqueries
    over indexed foreign keys, so the cost follows the département, not the country.
    """
    scope = lecture(actor)
    if scope.organisation is not None:  # an organiser: its organisation's meetings only
        require(scope.departement_code == departement_code, "Vous n'avez pas accès aux rencontres de ce département.")
    else:
        require_read(session, actor, departement_code)
    campaign = active_campaign(session)
    n_docs = select(func.count()).where(Document.rencontre_id == Rencontre.id).scalar_subquery()
    n_contrib = select(func.count()).where(Contribution.rencontre_id == Rencontre.id).scalar_subquery()
    n_qpv = select(func.count()).where(RencontreQpv.rencontre_id == Rencontre.id).scalar_subquery()
    codes = (
        select(func.aggregate_strings(col(RencontreQpv.qpv_code), ", "))
        .where(RencontreQpv.rencontre_id == Rencontre.id)
        .scalar_subquery()
    )
    query = select_columns(
        Rencontre.id,
        Rencontre.version,
        Rencontre.date,
        Rencontre.heure_debut,
        Rencontre.statut,
        Rencontre.lieu,
        Rencontre.perimetre,
        codes.label("quartiers"),
        n_qpv.label("nb_quartiers"),
        Rencontre.participants,
        n_docs.label("comptes_rendus"),
        Rencontre.synthese_envoyee_le,
        n_contrib.label("contributions"),
        Rencontre.validation,
        Rencontre.organisation,
    ).where(Rencontre.departement_code == departement_code, Rencontre.campaign_id == campaign.id)
    if comptees:
        query = query.where(compte())
    if scope.organisation is not None:
        query = query.where(Rencontre.organisation == scope.organisation)
    if qpv_code:
        query = query.where(
            col(Rencontre.id).in_(select(RencontreQpv.rencontre_id).where(RencontreQpv.qpv_code == qpv_code))
        )
    if statut:
        query = query.where(Rencontre.statut == statut)
    if month:
        first = _month_start(month)
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        query = query.where(Rencontre.date >= first, Rencontre.date < following)
    rows = session.exec(query.order_by(col(Rencontre.date).desc(), col(Rencontre.id).desc())).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=LIST_COLUMNS[:-1])
    frame["quartiers"] = frame["quartiers"].map(lambda s: ", ".join(sorted(s.split(", "))) if s else "")
    frame["chaine_complete"] = (
        (frame["statut"] == StatutRencontre.TENUE)
        & (frame["comptes_rendus"] > 0)
        & frame["synthese_envoyee_le"].notna()
        & (frame["contributions"] > 0)
    )
    return frame


def _month_start(month: str | dt.date) -> dt.date:
    if isinstance(month, dt.date):
        return month.replace(day=1)
    try:
        year, number = (int(part) for part in str(month).split("-")[:2])
        return dt.date(year, number, 1)
    except ValueError:
        raise ValidationError({"month": [f"Mois : « {month} » n'est pas un mois (attendu : AAAA-MM)."]}) from None


def form_choices(session: Session, *, departement_code: str) -> dict[str, list[tuple[str, str]]]:
    """Options of the form's perimeter inputs: the département's QPV, communes, EPCI."""
    geographie = active_campaign(session).geographie
    qpv = session.exec(
        select(Qpv.code, Qpv.nom, Qpv.communes_label)
        .where(Qpv.departement_code == departement_code, Qpv.geographie == geographie)
        .order_by(Qpv.code)
    ).all()
    communes = session.exec(
        select(QpvCommune.insee, func.min(QpvCommune.nom))
        .join(Qpv, col(Qpv.code) == col(QpvCommune.qpv_code))
        .where(Qpv.departement_code == departement_code, Qpv.geographie == geographie)
        .group_by(QpvCommune.insee)
        .order_by(func.min(QpvCommune.nom))
    ).all()
    epci = session.exec(
        select(Epci.siren, Epci.nom)
        .join(QpvEpci, col(QpvEpci.epci_siren) == col(Epci.siren))
        .join(Qpv, col(Qpv.code) == col(QpvEpci.qpv_code))
        .where(Qpv.departement_code == departement_code, Qpv.geographie == geographie)
        .group_by(Epci.siren, Epci.nom)
        .order_by(Epci.nom)
    ).all()
    return {
        # "Nom (Communes)": typing a commune's name ("Bourget") finds its quartiers in the pickers.
        "qpv": [(code, f"{nom} ({communes})" if communes else nom) for code, nom, communes in qpv],
        "communes": [(insee, nom) for insee, nom in communes],
        "epci": [(siren, nom) for siren, nom in epci],
    }


def qpv_directs(session: Session, rencontre_id: int) -> list[str]:
    """The QPV the rencontre names (perimeter « quartier »), sorted."""
    return list(
        session.exec(
            select(RencontreQpv.qpv_code)
            .where(RencontreQpv.rencontre_id == rencontre_id, RencontreQpv.direct)
            .order_by(RencontreQpv.qpv_code)
        )
    )


def qpv_couverts(session: Session, rencontre_id: int) -> list[str]:
    """Every QPV the rencontre covers, directly or through its commune or EPCI, sorted."""
    return list(
        session.exec(
            select(RencontreQpv.qpv_code)
            .where(RencontreQpv.rencontre_id == rencontre_id)
            .order_by(RencontreQpv.qpv_code)
        )
    )
