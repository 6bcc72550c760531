"""The real app, served by `streamlit run`, driven in Debian's Chromium through Playwright.

One server for the run, over a temporary database filled with the demo campaign (SQLite;
a database of its own on the PostgreSQL server when Q2030_TEST_DATABASE_URL is set). The server
smoke test needs no browser; the others skip with a reason when Chromium or Playwright
is missing (`.ci/run` installs Chromium with apt-get). Screenshots of every page, for
every role that may open it, land in tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import FilePayload
from sqlmodel import Session

from q2030 import coverage
from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.db import make_engine
from q2030.formatting import fr_date
from q2030.nomenclature import ROLES
from q2030.ui.shell import PAGES, opens
from tests.browser_support import (
    AppPage,
    AppServer,
    get,
    prepare_demo_database,
    start_app,
    temporary_pg_database,
)
from tests.conftest import PG_URL, QPV_2024_CSV

pytestmark = pytest.mark.slow  # a real server and a real browser: the full run, not the quick loop

DEP, DEP_LABEL = "93", "93 – Seine-Saint-Denis"
SCOPES = {  # sidebar scope picker of each demo role
    "referent": ("widget_departement", DEP_LABEL),
    "prefet_region": ("widget_region", "Île-de-France"),
    "commission": None,
    "admin": None,
}
HEADINGS = {"accueil": "Quartiers 2030"}  # other pages: the title starts with the link label
LIEU = "Maison de quartier (test navigateur)"


@pytest.fixture(scope="session")
def app_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A temporary SQLite file; on the PostgreSQL run, a database of its own on that server."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser_db') / 'q2030.db'}"
        return
    with temporary_pg_database(PG_URL, "q2030_browser") as url:
        yield url


@pytest.fixture(scope="session")
def app_server(app_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    prepare_demo_database(app_database, QPV_2024_CSV if QPV_2024_CSV.exists() else None, seed=8)
    server = start_app(app_database, tmp_path_factory.mktemp("browser_app"))
    yield server
    server.stop()


@pytest.fixture
def app(chromium, app_server: AppServer) -> Iterator[AppPage]:
    """A fresh tab, hence a fresh Streamlit session (the demo role starts as référent 93)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR", accept_downloads=True)
    yield AppPage(context.new_page(), app_server.url)
    context.close()


def sign_in(app: AppPage, role: str) -> None:
    """Demo mode: pick the role, then its scope, in the sidebar."""
    app.open("/")
    app.choose("widget_role", ROLES[role])
    scope = SCOPES[role]
    if scope:
        app.choose(*scope)


@contextmanager
def app_session(server: AppServer) -> Iterator[Session]:
    """A session on the served database, to compare the screen with the services."""
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def non_couverts(app: AppPage) -> int:
    metric = app.page.locator('[data-testid="stMetric"]').filter(has_text="Non couverts")
    return int(re.sub(r"\D", "", metric.locator('[data-testid="stMetricValue"]').inner_text()))


def assert_server_clean(server: AppServer) -> None:
    log = server.log_tail(200_000)
    assert "Traceback" not in log, f"exception côté serveur :\n{server.log_tail()}"


def test_server_answers_health_and_serves_home(app_server: AppServer) -> None:
    """No browser needed: the app started on its demo database and serves its home page."""
    assert get(f"{app_server.url}/_stcore/health")[::2] == (200, "ok")
    status, content_type, body = get(f"{app_server.url}/")
    assert status == 200
    assert "text/html" in content_type
    assert '<div id="root">' in body
    assert app_server.process.poll() is None


@pytest.mark.browser
def test_rencontre_logged_in_the_form_takes_the_qpv_off_the_non_couvert_list(
    app: AppPage, app_server: AppServer
) -> None:
    sign_in(app, "referent")
    app.navigate("Mon département", "Mon département")
    assert app.heading() == "Mon département — Seine-Saint-Denis (93)"
    header, rows = app.expander_grid("Tableau des quartiers sans rencontre tenue")
    code, statut = header.index("Code QPV"), header.index("Statut")
    qpv = next(row[code] for row in rows if row[statut] == "Non couvert")
    before = app.download_csv(f"non_couverts_{DEP}_csv")
    assert {"Code QPV": qpv, "Statut": "Non couvert"}.items() <= next(r for r in before if r["Code QPV"] == qpv).items()
    missing_before = non_couverts(app)
    app.screenshot("flux-1-mon-departement-avant")

    with app_session(app_server) as session:
        campaign = active_campaign(session)
    last = min(campaign.rencontres_echeance, dt.date.today() - dt.timedelta(days=1))
    day = campaign.lancement + (last - campaign.lancement) / 2  # held, in time, within the campaign

    app.navigate("Rencontres", "Rencontres")
    app.unfold("Nouvelle rencontre")
    app.add_to_multiselect("rf_qpv_codes", qpv)
    app.choose("rf_statut", "Tenue")
    app.type_date("rf_date", f"{day:%d%m%Y}")
    app.keyed("rf_lieu").locator("input").fill(LIEU)
    app.keyed("rf_submit").locator("button").click()
    outcome = app.page.get_by_text(re.compile(r"Rencontre n° \d+ enregistrée")).or_(
        app.page.get_by_text("La rencontre n'a pas été enregistrée")
    )
    outcome.first.wait_for()
    app.settle()
    app.screenshot("flux-2-rencontre-enregistree")
    assert not app.page.get_by_text("La rencontre n'a pas été enregistrée").count(), app.page.inner_text("main")
    chosen = app.keyed("rf_choice").locator("input").input_value()
    assert f"{fr_date(day)} – Tenue – {LIEU}" in chosen
    assert qpv in app.keyed("rf_qpv_codes").inner_text()

    app.navigate("Mon département", "Mon département")
    assert all(qpv not in row for row in app.expander_grid("Tableau des quartiers sans rencontre tenue")[1])
    after = app.download_csv(f"non_couverts_{DEP}_csv")
    assert qpv not in {row["Code QPV"] for row in after}
    assert len(after) == len(before) - 1
    assert non_couverts(app) == missing_before - 1
    app.screenshot("flux-3-mon-departement-apres")
    assert not app.errors_shown()
    assert_server_clean(app_server)


@pytest.mark.browser
def test_typing_part_of_a_code_then_enter_adds_one_quartier(app: AppPage) -> None:
    """A référent types the start of a code and presses Enter, as in any picker: one quartier,
    the first that contains what was typed (Streamlit's default would select every match)."""
    sign_in(app, "referent")
    app.navigate("Rencontres", "Rencontres")
    app.unfold("Nouvelle rencontre")
    box = app.keyed("rf_qpv_codes").locator("input")
    box.click()
    box.fill("QN0930")
    options = app.page.locator('[role="option"]')
    options.first.wait_for()
    offered = [text.strip() for text in options.all_inner_texts()]
    assert len(offered) > 1, offered
    assert all("QN0930" in text for text in offered), offered  # a substring, not a scattered subsequence
    app.page.keyboard.press("Enter")
    app.page.keyboard.press("Escape")
    app.settle()
    chosen = [text.strip() for text in app.keyed("rf_qpv_codes").locator("[data-tag]").all_inner_texts()]
    assert len(chosen) == 1, chosen
    assert chosen[0].startswith("QN0930"), chosen
    app.screenshot("rencontre-quartier-un-seul-par-entree")
    assert not app.errors_shown()


@pytest.mark.browser
def test_synthese_departementale_downloads_and_opens(app: AppPage, app_server: AppServer) -> None:
    sign_in(app, "referent")
    app.navigate(PAGES["excel"].label, PAGES["excel"].label)
    button = app.page.get_by_role("button", name="Télécharger la synthèse départementale")
    assert button.count(), "page « Échanges Excel » sans bouton « Télécharger la synthèse départementale »"
    with app.page.expect_download() as info:
        button.click()
    assert info.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)

    # The coverage sheet lists every QPV of the département with the status the pages show.
    actor = Actor(email="referent.93@demo.gouv.fr", role="referent", departement_code=DEP, region_code="11")
    with app_session(app_server) as session:
        expected = coverage.qpv_status(session, actor=actor, departement_code=DEP)
    assert len(expected) > 0
    found: dict[str, str] = {}
    for sheet in book.worksheets:
        header: list[str] | None = None
        for values in sheet.iter_rows(values_only=True):
            cells = ["" if v is None else str(v) for v in values]
            if header is None and {"Code QPV", "Statut"} <= set(cells):
                header = cells
            elif header is not None and cells[header.index("Code QPV")]:
                found[cells[header.index("Code QPV")]] = cells[header.index("Statut")]
        if found:
            break
    assert found == dict(zip(expected["qpv_code"], expected["statut_libelle"], strict=True))
    assert_server_clean(app_server)


@pytest.mark.browser
@pytest.mark.parametrize("role", list(SCOPES))
def test_every_page_of_each_role_renders(app: AppPage, app_server: AppServer, role: str) -> None:
    """Each page a role may open draws its title and no exception; a full-page screenshot each."""
    sign_in(app, role)
    pages = [(key, page) for key, page in PAGES.items() if opens(Actor(email="", role=role), key)]
    for number, (key, page) in enumerate(pages, start=1):
        if key != "accueil":
            app.navigate(page.label, HEADINGS.get(key, page.label))
        assert app.heading().startswith(HEADINGS.get(key, page.label))
        assert not app.page.get_by_text("Cette page n'est pas accessible avec votre rôle.").count()
        assert not app.errors_shown(), f"{page.label} ({role}) : {app.errors_shown()}"
        app.screenshot(f"{role}-{number}-{key}")
        for index, tab in enumerate(app.tabs()[1:], start=2):  # tabs draw client-side: one shot each
            tab.click()
            app.screenshot(f"{role}-{number}-{key}-onglet{index}")
    assert_server_clean(app_server)


@pytest.mark.browser
def test_synthese_drafted_uploaded_transmitted_forwarded_and_zipped(
    chromium, app: AppPage, app_server: AppServer
) -> None:
    """Référent: write, draft (DOCX), deposit the final version, transmit; préfecture de région:
    forward to the commission; commission: download every synthesis as a ZIP."""
    import zipfile

    import docx
    from sqlalchemy import text

    from q2030.referentiel import DEPARTEMENTS, REGIONS

    engine = make_engine(app_server.database_url)
    with engine.connect() as connection:  # a département whose synthesis is still a draft
        dep = connection.execute(
            text(
                "SELECT d.code FROM departement d JOIN qpv q ON q.departement_code = d.code "
                "LEFT JOIN synthesedepartementale s ON s.departement_code = d.code "
                "WHERE COALESCE(s.statut, 'brouillon') = 'brouillon' ORDER BY d.region_code = '11' DESC, d.code"
            )
        ).scalar()
    engine.dispose()
    assert isinstance(dep, str), "the demo has a département whose synthesis is a draft"
    region = DEPARTEMENTS[dep][1]
    lesson = "Les habitants demandent d'abord de la tranquillité & des <médiateurs>."

    sign_in(app, "referent")
    app.choose("widget_departement", f"{dep} – {DEPARTEMENTS[dep][0]}")
    app.navigate(PAGES["mon_departement"].label, PAGES["mon_departement"].label)
    app.open_tab("Synthèse")
    app.keyed(f"sy_enseignements_{dep}_0").locator("textarea").fill(lesson)
    app.page.get_by_role("button", name="Enregistrer les textes").click()
    app.settle()
    app.page.get_by_text("Textes de la synthèse enregistrés.").wait_for()
    draft = app.download(app.keyed(f"sy_docx_{dep}").locator("button"))
    paragraphs = [p.text for p in docx.Document(io.BytesIO(draft)).paragraphs]
    assert lesson in paragraphs
    assert "3.1 Changements attendus d'ici 2030" in paragraphs
    app.upload(
        f"sy_upload_{dep}_0",
        [FilePayload(name="synthese-finale.docx", mimeType="application/octet-stream", buffer=draft)],
    )
    app.page.get_by_role("button", name="Déposer cette version").click()
    app.settle()
    app.page.get_by_text("Version « synthese-finale.docx » déposée.").wait_for()
    app.page.get_by_role("button", name="Transmettre à la préfecture de région").click()
    app.settle()
    app.page.get_by_text("Synthèse transmise à la préfecture de région.").wait_for()
    assert not app.errors_shown()

    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR", accept_downloads=True)
    try:
        prefet = AppPage(context.new_page(), app_server.url)
        prefet.open("/")
        prefet.choose("widget_role", ROLES["prefet_region"])
        prefet.choose("widget_region", REGIONS[region])
        prefet.navigate(PAGES["syntheses"].label, PAGES["syntheses"].label)
        prefet.choose("sy_traiter", f"{dep} – {DEPARTEMENTS[dep][0]}")
        received = prefet.download(prefet.keyed(f"sy_region_download_{dep}").locator("button"))
        assert received == draft
        prefet.page.get_by_role("button", name="Transmettre à la commission et à l'ANCT").click()
        prefet.settle()
        prefet.page.get_by_text("Synthèse transmise à la commission et à l'ANCT.").wait_for()

        commission = AppPage(context.new_page(), app_server.url)
        commission.open("/")
        commission.choose("widget_role", ROLES["commission"])
        commission.navigate(PAGES["syntheses"].label, PAGES["syntheses"].label)
        archive = zipfile.ZipFile(io.BytesIO(commission.download(commission.keyed("sy_zip").locator("button"))))
        assert archive.read(f"{dep}-v1-synthese-finale.docx") == draft
        assert not commission.errors_shown()
    finally:
        context.close()
    assert_server_clean(app_server)
