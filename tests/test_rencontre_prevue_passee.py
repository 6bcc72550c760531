"""A meeting « prévue » dated in the past is saved with a warning (issue 21, item 12).

Main saved « prévue, 20/07/2023 » months later without a word: it counted neither as held
nor as cancelled, and nobody was asked which.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from q2030.rencontres import avertissements, create_rencontre, update_rencontre
from tests.rencontres_data import REFERENT_93, held, load_geography


@pytest.fixture(autouse=True)
def _geography(session: Session) -> None:
    load_geography(session)


def test_a_planned_meeting_in_the_past_is_saved_with_a_warning_asking_held_or_cancelled(session: Session) -> None:
    past = dt.date.today() - dt.timedelta(days=30)
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held(statut="prevue", date=past))
    session.commit()
    assert rencontre.id is not None  # saved all the same
    (warning,) = avertissements(rencontre)
    assert f"« prévue » le {past:%d/%m/%Y}, une date passée" in warning
    assert "tenue" in warning
    assert "annulée" in warning
    # Marked held: nothing more is asked; planned in the future: nothing either.
    rencontre = update_rencontre(
        session, actor=REFERENT_93, rencontre_id=rencontre.id, version=rencontre.version, data={"statut": "tenue"}
    )
    assert avertissements(rencontre) == []
    future = create_rencontre(
        session, actor=REFERENT_93, data=held(statut="prevue", date=dt.date.today() + dt.timedelta(days=3),
                                              qpv_codes=["QN09303A"]),
    )  # fmt: skip
    assert avertissements(future) == []
    assert avertissements(future, today=future.date + dt.timedelta(days=1))  # the day after, it asks
