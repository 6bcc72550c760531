"""The coding queue in Chromium: driven by the keyboard alone; the two-channel views' screenshots.

Its own server over a SQLite file: the demo campaign, a questionnaire import, 260 free texts
of which 220 coded and a trained suggestion model. Screenshots at 1440 and 390 px land in
tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from q2030 import codage
from q2030 import questionnaire as q
from q2030.access import SYSTEM, Actor
from q2030.db import make_engine
from q2030.models import TexteLibre, table_of
from q2030.nomenclature import ROLES
from tests import questionnaire_data as data
from tests.browser_support import AppPage, AppServer, prepare_demo_database, start_app
from tests.conftest import QPV_2024_CSV
from tests.test_codage import seed_texts

pytestmark = pytest.mark.slow

ANALYSTE = Actor(email="analyste@anct.gouv.fr", role="commission")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    if not QPV_2024_CSV.exists():
        pytest.skip(f"fichier de référence absent : {QPV_2024_CSV}")
    url = f"sqlite:///{tmp_path_factory.mktemp('codage_db') / 'q2030.db'}"
    prepare_demo_database(url, QPV_2024_CSV, seed=8)
    engine = make_engine(url)
    with Session(engine) as session:
        q.enregistrer_correspondance(
            session, actor=SYSTEM, source="Plateforme nationale", contenu=data.correspondance()
        )
        q.importer(
            session,
            actor=SYSTEM,
            source="Plateforme nationale",
            content=data.csv_bytes(data.COLONNES, data.rows(session, 1500)),
            filename="e.csv",
        )
        session.commit()
        session.exec(table_of(TexteLibre).delete())
        session.commit()
        truth = seed_texts(session, 260, seed=11)
        for texte_id in sorted(truth)[:220]:
            codage.coder(session, actor=ANALYSTE, texte_id=texte_id, axe="projets", theme=truth[texte_id])
        codage.entrainer(session, actor=Actor(email="admin@anct.gouv.fr", role="admin"))
        session.commit()
    engine.dispose()
    app = start_app(url, tmp_path_factory.mktemp("codage_app"))
    yield app
    app.stop()


def _tab(chromium: Browser, server: AppServer, width: int, role: str, departement: str | None = None) -> AppPage:
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    app = AppPage(context.new_page(), server.url)
    app.open("/")
    _open_sidebar(app, width)  # a phone starts with the sidebar folded
    app.choose("widget_role", ROLES[role])
    if departement:
        app.choose("widget_departement", departement)
    _close_sidebar(app, width)
    return app


def _open_sidebar(app: AppPage, width: int) -> None:
    if width < 600:
        opener = app.page.locator('[data-testid="stExpandSidebarButton"]')
        if opener.count() and opener.first.is_visible():
            opener.first.click()
            app.settle()


def _close_sidebar(app: AppPage, width: int) -> None:
    if width < 600:
        app.page.locator('[data-testid="stSidebarCollapseButton"] button').first.click(force=True)
        app.settle()


def _go(app: AppPage, label: str, width: int) -> None:
    """Follow a sidebar link; on a phone the sidebar covers the page: open it first, close it after."""
    _open_sidebar(app, width)
    app.navigate(label, label)
    _close_sidebar(app, width)


def _expect_progress(app: AppPage, text: str) -> None:
    """The progress bar reads `text`, once the rerun a key press triggered has drawn it."""
    expect(app.page.locator('[data-testid="stProgress"]').first).to_have_text(text, timeout=30_000)


def test_keyboard_alone_codes_a_text(chromium: Browser, server: AppServer) -> None:
    app = _tab(chromium, server, 1440, "commission")
    app.navigate("Codage des textes libres", "Codage des textes libres")
    _expect_progress(app, "220 / 260 codés")
    shown = app.page.locator('[data-testid="stMain"] [data-testid="stText"]').first.inner_text().strip()
    app.page.locator('[data-testid="stApp"] h1').first.click()  # focus the page, not a widget
    app.page.keyboard.press("3")  # axis 3, Projets structurants
    app.settle()
    app.page.keyboard.press("j")  # theme: Logement et habitat
    app.settle()
    # The choice is echoed in a caption of the coding form (the history caption may follow it).
    chosen = app.page.locator("[data-testid='stCaptionContainer']").filter(
        has_text="Projets structurants · Logement et habitat"
    )
    expect(chosen.first).to_be_visible(timeout=30_000)
    app.page.keyboard.press("v")
    app.settle()
    _expect_progress(app, "221 / 260 codés")
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        coded = session.exec(
            select(TexteLibre).where(TexteLibre.texte == shown, TexteLibre.code_par == "commission@demo.gouv.fr")
        ).first()
        assert coded is not None
        assert (coded.axe, coded.theme) == ("projets", "logement")
    engine.dispose()
    # One key accepts the suggestion.
    app.page.keyboard.press("s")
    app.settle()
    _expect_progress(app, "222 / 260 codés")
    assert not app.errors_shown()
    app.screenshot("codage-commission-1440")


@pytest.mark.parametrize("width", [1440, 390])
def test_screenshots(chromium: Browser, server: AppServer, width: int) -> None:
    app = _tab(chromium, server, width, "admin")
    _go(app, "Codage des textes libres", width)
    app.page.get_by_text("Modèle de suggestion (administrateur)").click()
    app.settle()
    app.screenshot(f"codage-admin-{width}")
    _go(app, "Questionnaire en ligne", width)
    app.screenshot(f"questionnaire-admin-{width}")
    _go(app, "Priorités des habitants", width)
    app.page.locator(".st-key-widget_filtre_canal").get_by_text("Les deux, côte à côte").click()
    app.settle()
    assert not app.errors_shown()
    app.screenshot(f"priorites-deux-canaux-{width}")
    app.page.locator(".st-key-widget_filtre_canal").get_by_text("Questionnaire en ligne").click()
    app.settle()
    app.screenshot(f"priorites-questionnaire-{width}")
    _go(app, "Vue nationale", width)
    assert not app.errors_shown()
    app.screenshot(f"national-admin-{width}")
    ref = _tab(chromium, server, width, "referent", departement="93 – Seine-Saint-Denis")
    _go(ref, "Mon département", width)
    assert not ref.errors_shown()
    ref.screenshot(f"mon-departement-referent-{width}")


def test_admin_maps_the_columns_of_a_new_export_and_imports_it(chromium: Browser, server: AppServer, tmp_path) -> None:
    export = tmp_path / "export-plateforme.csv"
    export.write_bytes(
        "ID réponse;Code postal;Priorités;Vos idées\r\n"
        "W-1;93200;Logement | Santé;Un jardin partagé\r\n"
        "W-2;13015;Emploi;\r\n"
        "\r\n"
        "W-3;;Santé;Plus de médecins\r\n".encode("cp1252")
    )
    app = _tab(chromium, server, 1440, "admin")
    app.navigate("Questionnaire en ligne", "Questionnaire en ligne")
    app.keyed("questionnaire_source").locator("input").fill("Plateforme nationale")
    app.page.keyboard.press("Enter")
    app.settle()
    app.upload("questionnaire_fichier", export)
    app.page.get_by_text("Aperçu des premières lignes").wait_for()
    app.settle()
    # Guessed from the titles, shown as written: the response id and the postcode.
    assert app.keyed("questionnaire_col_identifiant").locator("input").input_value() == "ID réponse"
    assert app.keyed("questionnaire_col_code_postal").locator("input").input_value() == "Code postal"
    app.add_to_multiselect("questionnaire_fermees", "Priorités")
    app.settle()
    app.add_to_multiselect("questionnaire_libres", "Vos idées")
    app.settle()
    app.keyed("questionnaire_enregistrer").locator("button").click()
    app.page.get_by_text("Correspondance enregistrée").wait_for()
    app.keyed("questionnaire_importer").locator("button").click()
    app.page.get_by_text("réponses lues : 3 ; créées : 3").wait_for()
    assert not app.errors_shown()
    app.screenshot("questionnaire-import-admin-1440")
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        mapping = q.correspondance(session, source="Plateforme nationale")
        assert mapping is not None
        assert mapping.identifiant == "ID réponse"
        assert mapping.fermees[0].valeurs == {"Logement": "logement", "Santé": "sante", "Emploi": "emploi"}
        textes = session.exec(select(TexteLibre.texte).where(TexteLibre.question == "Vos idées")).all()
        assert sorted(textes) == ["Plus de médecins", "Un jardin partagé"]
    engine.dispose()


@pytest.mark.parametrize("width", [1440, 390])
def test_questionnaire_and_codage_pages_on_a_desktop_and_a_phone(
    chromium: Browser, server: AppServer, width: int
) -> None:
    admin = _tab(chromium, server, width, "admin")
    _go(admin, "Questionnaire en ligne", width)
    admin.page.get_by_text("Sources des réponses").wait_for()
    assert not admin.errors_shown()
    assert "None" not in admin.page.locator('[data-testid="stMain"]').inner_text()
    admin.screenshot(f"questionnaire-sources-admin-{width}")
    analyste = _tab(chromium, server, width, "commission")
    _go(analyste, "Codage des textes libres", width)
    analyste.page.get_by_text("Textes codés : revoir et corriger").wait_for()
    assert not analyste.errors_shown()
    analyste.screenshot(f"codage-revision-commission-{width}")
