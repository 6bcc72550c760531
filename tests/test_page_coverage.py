"""AppTest of the coverage pages on the demo data (real QPV file)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from q2030.access import Actor
from q2030.referentiel import DEPARTEMENTS
from q2030.syntheses import deposer_version
from q2030.ui.coverage import NATIONAL_SECTIONS, REGION_SECTIONS_KEY
from tests.databases import Demo, Preparation
from tests.helpers import open_app, open_folded, open_national_section, open_section, open_tab, pdf_document
from tests.test_relances import Boite, boite  # noqa: F401 - the loopback SMTP server fixture

PDF = pdf_document()


@pytest.fixture
def database_preparation(qpv_2024_csv: Path) -> Preparation:
    return Demo(seed=7, qpv_file=qpv_2024_csv)


@pytest.fixture
def demo(app_env: str, engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 7, real QPV), loaded once per run."""
    return engine


def _uncovered_in_db(engine: Engine, dep: str, au: dt.date) -> int:
    """QPV of the département with no held, non-cancelled rencontre dated on or before `au`."""
    sql = text(
        """
        SELECT COUNT(*) FROM qpv q
        WHERE q.departement_code = :dep AND q.geographie = '2024'
          AND NOT EXISTS (
            SELECT 1 FROM rencontreqpv rq JOIN rencontre r ON r.id = rq.rencontre_id
            WHERE rq.qpv_code = q.code AND r.statut = 'tenue' AND r.date <= :au)
        """
    )
    with engine.connect() as connection:
        count = connection.execute(sql, {"dep": dep, "au": au}).scalar_one()
    assert isinstance(count, int)
    return count


def _table(at, first_column: str):
    frames = [frame.value for frame in at.dataframe if first_column in frame.value.columns]
    assert frames, [list(frame.value.columns) for frame in at.dataframe]
    return frames[0]


def test_mon_departement_lists_exactly_the_uncovered_qpv(demo: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    assert not at.exception
    assert not _has_table(at, "Prochaine rencontre prévue")  # folded: not drawn until opened
    open_folded(at, "deplie_non_couverts_93")
    shown = _table(at, "Prochaine rencontre prévue")
    expected = _uncovered_in_db(demo, "93", dt.date.today())
    assert len(shown) == expected
    # French dates, and an empty cell (not "None") where no rencontre is planned.
    assert all(re.fullmatch(r"(\d\d/\d\d/\d{4})?", str(v)) for v in shown["Prochaine rencontre prévue"])
    # Replay the campaign on 30/06/2023: more quartiers were still waiting for a meeting.
    early = dt.date(2023, 6, 30)
    at.date_input(key="couverture_au_departement").set_value(early).run()
    assert not at.exception
    assert len(_table(at, "Prochaine rencontre prévue")) == _uncovered_in_db(demo, "93", early) > expected
    open_section(at, "93", "Quartiers")
    assert any("Au rythme actuel" in m.value for m in at.markdown)


def test_ma_region_renders_and_opens_a_departement(demo: Engine) -> None:
    at = open_app(role="prefet_region", region="11")
    at.switch_page("pages/4_Ma_region.py").run()
    assert not at.exception
    table = _table(at, "Synthèse dép.")
    assert sorted(name[:2] for name in table["Département"]) == ["75", "77", "78", "91", "92", "93", "94", "95"]
    # Late flags come first, the département most at risk on the first row.
    assert list(table.columns[:3]) == ["Département", "Synthèses en retard", "CR manquants"]
    # Nothing is detailed before a département is chosen (one selection mechanism).
    assert not [f for f in at.dataframe if "Prochaine rencontre prévue" in f.value.columns]
    # The overview's tabs: only the open one is drawn (the map and its table at first).
    assert len(at.get("vega_lite_chart")) == 1
    assert not _has_table(at, "Statut")
    open_tab(at, REGION_SECTIONS_KEY, "Statuts des QPV")
    assert not at.exception
    assert _has_table(at, "Statut")
    assert not _has_table(at, "QPV couverts")  # the map's table went with its tab
    open_tab(at, REGION_SECTIONS_KEY, "Progression")
    assert _has_table(at, "QPV couverts (cumul)")
    at.selectbox(key="region_departement").select("93").run()
    assert not at.exception
    open_folded(at, "deplie_non_couverts_93")
    assert len(_table(at, "Prochaine rencontre prévue")) == _uncovered_in_db(demo, "93", dt.date.today())


def test_national_renders_map_and_burnup(demo: Engine) -> None:
    at = open_app(role="commission")
    at.switch_page("pages/5_National.py").run()
    assert not at.exception
    with demo.connect() as connection:
        deps_with_qpv = connection.execute(text("SELECT COUNT(DISTINCT departement_code) FROM qpv")).scalar_one()
    carte = _table(at, "Couverts")  # the table beside the map of the départements
    assert len(carte) == deps_with_qpv
    assert carte["Taux"].between(0, 1).all()
    features = next(c for c in at.get("vega_lite_chart") if '"geoshape"' in c.proto.spec)
    # Outlines fetched by URL (static/geo/), the overseas départements' figures sent with the spec.
    assert "app/static/geo/departements.json?v=" in features.proto.spec
    assert '"code": "971"' in features.proto.spec or '"code":"971"' in features.proto.spec
    # Only the open tab is drawn: one chart (the map), the regions' table not yet sent.
    assert len(at.get("vega_lite_chart")) == 1
    assert not _has_table(at, "Région")
    open_national_section(at, "Par région")
    assert not at.exception
    assert len(_table(at, "Région")) == 18
    assert not _has_table(at, "Couverts")  # the map's table went with its tab
    open_national_section(at, "Progression")
    assert not at.exception
    assert _has_table(at, "QPV couverts (cumul)")
    open_national_section(at, "Par département")
    assert len(_table(at, "Synthèse dép.")) >= deps_with_qpv  # every département with a QPV, a line each


def test_referent_records_the_transmission_to_the_region(demo: Engine) -> None:
    with demo.connect() as connection:
        dep = connection.execute(
            text("SELECT MIN(departement_code) FROM synthesedepartementale WHERE statut = 'brouillon'")
        ).scalar_one()
    referent = Actor(email="r@x.fr", role="referent", departement_code=dep, region_code=DEPARTEMENTS[dep][1])
    with Session(demo) as session:  # AppTest cannot drive a file uploader: the final version is deposited here
        deposer_version(session, actor=referent, departement_code=dep, filename="synthese.pdf", content=PDF)
        session.commit()
    at = open_app(role="referent", departement=dep)
    at.switch_page("pages/3_Mon_departement.py").run()
    open_section(at, dep, "Synthèse")
    at.date_input(key=f"sy_date_region_{dep}").set_value(dt.date(2023, 8, 28))
    next(b for b in at.button if b.label == "Transmettre à la préfecture de région").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    with demo.connect() as connection:
        row = connection.execute(
            text("SELECT statut, transmise_region_le FROM synthesedepartementale WHERE departement_code = :d"),
            {"d": dep},
        ).one()
    assert row[0] == "transmise_region"
    assert str(row[1])[:10] == "2023-08-28"


@pytest.mark.parametrize("role", ["commission", "admin"])
def test_national_for_national_roles(demo: Engine, role: str) -> None:
    at = open_app(role=role)
    at.switch_page("pages/5_National.py").run()
    assert not at.exception
    assert [t.label for t in at.tabs][: len(NATIONAL_SECTIONS)] == list(NATIONAL_SECTIONS)
    for section in NATIONAL_SECTIONS[1:]:
        open_national_section(at, section)
        assert not at.exception, section
        assert not at.error, (section, [e.value for e in at.error])


def test_referent_invites_an_organiser_from_mon_departement(demo: Engine, boite: Boite) -> None:  # noqa: F811
    """The « Organisateurs » tab: a bad address is refused next to the button and changes nothing;
    a good one opens the account, sends the e-mail and appears in the list."""
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    assert [t.label for t in at.tabs][-1] == "Organisateurs"
    open_section(at, "93", "Organisateurs")
    before = len(_table(at, "Adresse électronique")) if _has_table(at, "Adresse électronique") else 0

    _field(at, "Adresse électronique").set_value("pas-une-adresse")
    _field(at, "Organisation").set_value("Centre social Les Tilleuls")
    _submit(at)
    assert any("Adresse électronique invalide" in e.value for e in at.error), [e.value for e in at.error]
    assert boite.recus == []

    _field(at, "Adresse électronique").set_value("accueil@tilleuls.example.org")
    _type(at).set_value("association")
    _submit(at)
    assert not at.error, [e.value for e in at.error]
    assert any("Invitation envoyée à accueil@tilleuls.example.org" in s.value for s in at.success)
    [message] = boite.recus
    assert message["To"] == "accueil@tilleuls.example.org"
    listed = _table(at, "Adresse électronique")
    assert len(listed) == before + 1
    assert listed.iloc[0]["Organisation"] == "Centre social Les Tilleuls"
    assert listed.iloc[0]["Type"] == "Association"


def test_only_inviters_see_the_organisers_tab(demo: Engine) -> None:
    at = open_app(role="commission")
    at.switch_page("pages/3_Mon_departement.py").run()
    assert "Organisateurs" not in [t.label for t in at.tabs]


def _has_table(at, first_column: str) -> bool:
    return any(first_column in frame.value.columns for frame in at.dataframe)


def _field(at, label: str):
    return next(t for t in at.text_input if t.label.startswith(label))


def _type(at):
    return next(s for s in at.selectbox if s.label == "Type d'organisation")


def _submit(at) -> None:
    next(b for b in at.button if b.label == "Inviter et envoyer le courriel").click().run()
    assert not at.exception
