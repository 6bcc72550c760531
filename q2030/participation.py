"""Who came to the rencontres: attendance sums over the held rencontres at a date.

One computation for every place that prints them: the Excel export's cover sheet and the
synthèse départementale's figures (`q2030.redaction`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col

from q2030.comptage import compte
from q2030.db import select_columns
from q2030.models import Rencontre
from q2030.nomenclature import StatutRencontre

# Attendance columns of a rencontre, with their French labels (the total first).
BREAKDOWN = {
    "participants": "Participants",
    "femmes": "dont femmes",
    "jeunes": "dont jeunes",
    "habitants_qpv": "dont habitants des QPV",
    "professionnels": "dont professionnels",
    "elus": "dont élus",
}


def participant_sums(
    session: Session, *, campaign_id: int, au: dt.date, departements: list[str] | None
) -> dict[str, int]:
    """Attendance of the rencontres held at `au` (statut "tenue", dated <= au), summed in SQL,
    in the whole campaign or in `departements`."""
    query = select_columns(*(func.coalesce(func.sum(getattr(Rencontre, k)), 0) for k in BREAKDOWN)).where(
        col(Rencontre.campaign_id) == campaign_id,
        col(Rencontre.statut) == StatutRencontre.TENUE,
        col(Rencontre.date) <= au,
        compte(),
    )
    if departements is not None:
        query = query.where(col(Rencontre.departement_code).in_(departements))
    values = session.exec(query).one()
    return {key: int(value) for key, value in zip(BREAKDOWN, values, strict=True)}
