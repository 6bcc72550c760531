"""Parcours (issue 13): every list of Mon département opens the place to act in one click."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from q2030.access import Actor
from q2030.db import session_scope
from q2030.documents import add_document
from q2030.formatting import countdown
from q2030.ui.coverage import by_risk, default_au
from tests.databases import Demo, Preparation
from tests.helpers import open_app, pdf_document, unfold_rencontre_form


@pytest.fixture
def database_preparation(qpv_2024_csv: Path) -> Preparation:
    return Demo(seed=7, qpv_file=qpv_2024_csv)


@pytest.fixture
def demo(app_env: str, engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 7, real QPV), loaded once per run."""
    return engine


def test_countdown_never_shows_a_negative_number() -> None:
    au = dt.date(2023, 12, 21)
    assert countdown(dt.date(2023, 12, 24), au) == "dans 3 jours"
    assert countdown(dt.date(2023, 12, 22), au) == "dans 1 jour"
    assert countdown(au, au) == "aujourd'hui"
    assert countdown(dt.date(2023, 12, 20), au) == "échue depuis 1 jour"
    assert countdown(dt.date(2020, 8, 27), au) == "échue depuis 1\u202f211 jours"
    assert countdown(dt.date(2023, 8, 1), au, done_on=dt.date(2023, 7, 14), done="envoyée") == "envoyée le 14/07/2023"
    assert countdown(None, au) == ""


def test_a_finished_campaign_opens_at_the_end_of_its_restitution_window() -> None:
    campaign = dt.date(2023, 12, 21)  # the end of its restitution window
    shown, sentence = default_au(campaign, dt.date(2026, 11, 25))
    assert shown == dt.date(2023, 12, 21)
    assert "Campagne terminée" in sentence
    assert "21/12/2023" in sentence
    shown, sentence = default_au(campaign, dt.date(2023, 6, 1))
    assert shown == dt.date(2023, 6, 1)
    assert "aujourd'hui" in sentence


def _links(at) -> list[tuple[str, dict[str, str]]]:
    return [
        (link.proto.label, {k: v[0] for k, v in parse_qs(link.proto.query_string).items()})
        for link in at.get("page_link")
        if link.proto.page == "Rencontres" and link.proto.query_string
    ]


def test_mon_departement_action_lists_name_and_open_the_rencontre(demo: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    assert not at.exception
    # The finished 2023 campaign is shown at the end of its restitution window, and says so.
    assert any("Campagne terminée" in c.value and "21/12/2023" in c.value for c in at.caption)
    links = _links(at)
    late = [(text, q) for text, q in links if "synthèse due le" in text]
    assert late, [text for text, _ in links][:5]
    text, query = late[0]
    # Names the rencontre number and the quartier with its commune; no negative countdown.
    assert text.startswith(f"Rencontre n° {query['rencontre']} du ")
    assert "(" in text
    assert "échue depuis" in text
    assert "-" not in text.split("échue depuis")[1]
    assert query["departement"] == "93"
    assert any("compte rendu à déposer" in t for t, _ in links)
    # No "Jours restants" column with negative numbers anywhere on the page.
    for frame in at.dataframe:
        assert "Jours restants" not in frame.value.columns

    # The link opens that rencontre in the Rencontres form.
    rencontre_id = int(query["rencontre"])
    at.query_params.update(query)
    at.switch_page("pages/1_Rencontres.py").run()
    assert not at.exception
    assert at.session_state["rf_choice"] == rencontre_id
    assert at.session_state["rf_etat"].rencontre_id == rencontre_id
    assert any(f"Rencontre n° {rencontre_id} ouverte" in i.value for i in at.info)


def test_planifier_une_rencontre_prefills_the_uncovered_quartier(demo: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    at.date_input(key="couverture_au_departement").set_value(dt.date(2023, 3, 1)).run()
    assert not at.exception
    plan = [(text, q) for text, q in _links(at) if "planifier" in q]
    assert plan
    assert all(text.endswith(": planifier une rencontre") for text, _ in plan)
    _text, query = plan[0]
    at.query_params.update(query)
    at.switch_page("pages/1_Rencontres.py").run()
    assert not at.exception
    assert at.session_state["rf_choice"] == 0  # a new rencontre
    assert at.multiselect(key="rf_qpv_codes").value == [query["planifier"]]
    assert at.session_state["rf_statut"] == "prevue"
    assert any("Nouvelle rencontre prévue pour" in i.value for i in at.info)


def test_readers_get_no_planifier_link(demo: Engine) -> None:
    at = open_app(role="prefet_region", region="11")
    at.switch_page("pages/4_Ma_region.py").run()
    at.selectbox(key="region_departement").select("93").run()
    at.date_input(key="couverture_au_region").set_value(dt.date(2023, 3, 1)).run()
    assert not at.exception
    links = _links(at)
    assert links
    assert not any("planifier" in q for _, q in links)


def test_ma_region_ranks_departements_by_risk() -> None:
    frame = pd.DataFrame(
        {
            "code": ["75", "93", "94"],
            "nom": ["Paris", "Seine-Saint-Denis", "Val-de-Marne"],
            "taux_non_couvert": [0.1, 0.4, 0.1],
            "syntheses_en_retard": [0, 2, 5],
            "comptes_rendus_manquants": [1, 0, 0],
        }
    )
    assert list(by_risk(frame)["departement"]) == ["93 – Seine-Saint-Denis", "94 – Val-de-Marne", "75 – Paris"]


def _home_links(at) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (link.proto.label, link.proto.page, {k: v[0] for k, v in parse_qs(link.proto.query_string).items()})
        for link in at.get("page_link")
        if "todo_accueil" in str(getattr(link, "key", "")) or link.proto.query_string
    ]


def test_home_a_faire_lists_what_each_role_must_do_and_opens_it(demo: Engine) -> None:
    at = open_app(role="referent", departement="93")
    assert not at.exception
    assert any(h.value == "À faire" for h in at.subheader)
    links = _home_links(at)
    opened = [(text, q) for text, page, q in links if page == "Rencontres" and "rencontre" in q]
    assert opened, links[:5]
    text, query = opened[0]
    assert text.startswith("Rencontre du ")
    at.query_params.update(query)
    at.switch_page("pages/1_Rencontres.py").run()
    assert at.session_state["rf_choice"] == int(query["rencontre"])

    region = open_app(role="prefet_region", region="11")
    assert not region.exception
    assert any(h.value == "À faire" for h in region.subheader)


def test_pickers_find_quartiers_by_commune_and_agenda_opens_on_the_referents_departement(demo: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/1_Rencontres.py").run()
    unfold_rencontre_form(at)
    assert not at.exception
    picker = at.multiselect(key="rf_qpv_codes")
    labels = list(picker.options)  # as shown: "QN09304M – Secteur Gare - Aviatic (Le Bourget)"
    assert any("Le Bourget" in label for label in labels), labels[:5]
    at.switch_page("pages/2_Agenda.py").run()
    assert not at.exception
    assert at.selectbox(key="ag_departement").value == "93"


def test_first_qpv_import_reports_per_departement_after_the_rerun(app_env: str) -> None:
    from q2030.ui.home import IMPORT_REPORT

    at = open_app()
    assert any("invente 10 quartiers" in m.value for m in at.markdown)  # says what the demo does
    at.button(key="welcome_demo").click().run()
    # What the import button leaves for the next run (the page reruns once the base is filled).
    at.session_state[IMPORT_REPORT] = {
        "total": 3,
        "rows": [{"Département": "93 – Seine-Saint-Denis", "Créés": 3, "Mis à jour": 0, "Inchangés": 0}],
    }
    at.run()
    assert not at.exception
    assert any("3 quartiers importés" in s.value for s in at.success)
    assert any("Créés" in frame.value.columns for frame in at.dataframe)
    at.run()
    assert not any("quartiers importés" in s.value for s in at.success)  # said once


def test_situation_au_too_early_says_so_in_french(demo: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    at.date_input(key="couverture_au_departement").set_value(dt.date(2022, 1, 1)).run()
    assert not at.exception
    assert any("est trop tôt" in w.value and "21/12/2023" in w.value for w in at.warning)


def test_a_compte_rendu_uploaded_today_leaves_the_a_faire_of_a_finished_campaign(demo: Engine) -> None:
    """The finished campaign is shown at its end, but what has been done is judged today
    (campaigns.constat_au): a compte rendu deposited now is no longer « à déposer »."""
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    missing = [q["rencontre"] for text, q in _links(at) if "compte rendu à déposer" in text]
    assert missing
    count = _missing_count(at)
    rencontre_id = int(missing[0])
    referent = Actor(email="referent.93@x.gouv.fr", role="referent", departement_code="93", region_code="11")
    with session_scope(demo) as session:
        add_document(session, actor=referent, rencontre_id=rencontre_id, filename="cr.pdf", content=pdf_document())
    at.run()
    assert not at.exception
    still = [q["rencontre"] for text, q in _links(at) if "compte rendu à déposer" in text]
    assert str(rencontre_id) not in still
    assert _missing_count(at) == count - 1


def _missing_count(at: AppTest) -> int:
    titles = [m.value for m in at.markdown if m.value.startswith("**Comptes rendus manquants (")]
    assert len(titles) == 1, titles
    return int(re.sub(r"\D", "", titles[0]))
