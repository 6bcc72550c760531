"""A meeting « prévue » dated in the past is saved with a warning (issue 21, item 12).

Main saved « prévue, 20/07/2023 » months later without a word: it counted neither as held
nor as cancelled, and nobody was asked which.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from q2030.rencontres.avertissements import avertissements
from q2030.rencontres.ecriture import create_rencontre, update_rencontre
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


def test_the_form_warns_by_its_save_button_before_saving(app_env: str) -> None:
    """Opened on a « prévue » in the past, the form says it above « Enregistrer la rencontre »."""
    from q2030.db import make_engine
    from tests.helpers import open_app

    engine = make_engine(app_env)
    past = dt.date.today() - dt.timedelta(days=20)
    with Session(engine) as session:  # the geography is loaded by the autouse fixture
        rencontre_id = create_rencontre(session, actor=REFERENT_93, data=held(statut="prevue", date=past)).id
        session.commit()
    engine.dispose()
    at = open_app(role="referent", departement="93")
    at.query_params["rencontre"] = str(rencontre_id)
    at.switch_page("pages/1_Rencontres.py").run()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning if "une date passée" in w.value]
    assert warnings == [f"Cette rencontre est « prévue » le {past:%d/%m/%Y}, une date passée : indiquez si elle "
                        "a été tenue (statut « Tenue », avec sa participation et ses contributions) ou annulée "
                        "(avec son motif)."]  # fmt: skip
    at.button(key="rf_submit").click().run()  # saved as it is: the save notice says it, once
    assert len([w for w in at.warning if "une date passée" in w.value]) == 1
    assert any(f"Rencontre n° {rencontre_id} enregistrée." in s.value for s in at.success)
