"""What a saved rencontre still asks of its author: saved all the same, not an error."""

from __future__ import annotations

import datetime as dt

from q2030 import clock
from q2030.models import Rencontre
from q2030.nomenclature import StatutRencontre


def avertissements(rencontre: Rencontre, today: dt.date | None = None) -> list[str]:
    """What a saved rencontre still asks of its author (saved all the same, not an error).

    A rencontre « prévue » whose date is past is either held or cancelled: it counts as
    neither until the référent says which.
    """
    warning = avertissement_prevue(rencontre.statut, rencontre.date, today)
    return [warning] if warning else []


def avertissement_prevue(statut: object, date: object, today: dt.date | None = None) -> str | None:
    """The warning of a « prévue » dated in the past, from a form's values (None when nothing is asked)."""
    today = today or clock.today()
    if statut != StatutRencontre.PREVUE or not isinstance(date, dt.date) or date >= today:
        return None
    return (
        f"Cette rencontre est « prévue » le {date:%d/%m/%Y}, une date passée : indiquez si elle "
        "a été tenue (statut « Tenue », avec sa participation et ses contributions) ou annulée (avec son motif)."
    )
