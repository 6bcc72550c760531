"""The State's face in a real browser (Chromium, 1 440 and 390 px), for every role and for the
anonymous visitor: the République française block and the three footer links, a map with its
table beside it on the national, regional, departmental and public pages, the public page's
webcal:// subscription and absolute address, axe-core (nothing serious or critical) and no
English in the visible text nor in the accessibility tree (what a screen reader says)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from q2030.access import Actor
from q2030.nomenclature import ROLES
from q2030.ui.etat import FOOTER_LINKS
from q2030.ui.shell import PAGES, opens
from tests.browser_support import SCREENSHOTS, AppPage, AppServer, axe_violations
from tests.test_browser import (  # noqa: F401 - the server and browser fixtures of the browser suite
    DEP_LABEL,
    HEADINGS,
    SCOPES,
    app_database,
    app_server,
    sign_in,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WIDTHS = (1440, 390)
# English a screen reader would say (Streamlit's, react-aria's or Vega's own names).
ENGLISH = re.compile(
    r"Help for|Choose date|Choose an option|Choose options|\bUpload\b|Collapse sidebar|Expand sidebar|"
    r"Skip to main content|Link to heading|Increment|Decrement|Copy to clipboard|Vega visualization|"
    r"[XY]-axis|legend titled|\"Open\"|\"(day|month|year), |Drag and drop|MB per file|No results|Browse files|"
    r"Download as|Fullscreen|Show/hide columns|Press Enter|\"Sidebar\""
)
MAP_PAGES = {  # role -> (sidebar link, heading, section tab to open)
    "commission": ("Vue nationale", "Vue nationale", None),
    "prefet_region": ("Ma région", "Ma région", None),
    "referent": ("Mon département", "Mon département", "Quartiers"),
}


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def browser_page(request: pytest.FixtureRequest, chromium, app_server: AppServer) -> Iterator[AppPage]:  # noqa: F811
    width = request.param
    context = chromium.new_context(
        viewport={"width": width, "height": 900 if width > 600 else 844},
        locale="fr-FR",
        is_mobile=width < 600,
        has_touch=width < 600,
    )
    yield AppPage(context.new_page(), app_server.url)
    context.close()


def _open_sidebar_if_folded(app: AppPage) -> None:
    expand = app.page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.count() and expand.first.is_visible():
        expand.first.click()
        app.settle()


def _fold_sidebar_on_phone(app: AppPage) -> None:
    phone = (app.page.viewport_size or {"width": 1440})["width"] < 600
    if phone and app.page.locator('[data-testid="stSidebar"][data-collapsed="false"]').count():
        app.page.locator('[data-testid="stSidebarCollapseButton"] button').first.click()
        app.settle()


def _sign_in(app: AppPage, role: str) -> None:
    app.open("/")
    _open_sidebar_if_folded(app)
    sign_in(app, role)


def _navigate(app: AppPage, label: str, heading: str) -> None:
    _open_sidebar_if_folded(app)
    app.navigate(label, heading)
    _fold_sidebar_on_phone(app)


def assert_state_face(app: AppPage) -> None:
    """République française block and service name at the top, the three footer links."""
    block = app.page.locator(".q2030-entete")
    assert block.count() == 1
    assert re.sub(r"\s+", " ", block.locator(".q2030-rf").inner_text()).upper() == "RÉPUBLIQUE FRANÇAISE"
    assert "Liberté" in block.inner_text()
    assert "Quartiers 2030" in block.inner_text()
    footer = app.page.locator(".st-key-q2030_pied")
    for link in FOOTER_LINKS:
        assert footer.get_by_role("link", name=link.label).count() == 1, link.label


def assert_french_for_eyes_and_ears(app: AppPage) -> None:
    tree = app.page.locator("body").aria_snapshot()
    assert not ENGLISH.findall(tree), [line for line in tree.splitlines() if ENGLISH.search(line)]
    shown = app.page.locator('[data-testid="stApp"]').inner_text()
    assert not ENGLISH.findall(shown)


def assert_map_with_table_beside(app: AppPage) -> None:
    """A geoshape map (Vega draws its outlines as `path.mark-shape`…) and, in the next column, its table."""
    maps = app.page.locator('[data-testid="stVegaLiteChart"]').filter(has=app.page.locator("g.mark-shape"))
    maps.first.wait_for()
    row = maps.first.locator('xpath=ancestor::*[@data-testid="stHorizontalBlock"][1]')
    assert row.count() == 1
    assert row.locator('[data-testid="stDataFrame"], .q2030-table').count() >= 1


def assert_tables_fit(app: AppPage) -> None:
    """No HTML table (public page, organiser's « Mes rencontres »…) sticks out of its block or of the
    window: its last column is on screen, without a horizontal scroll."""
    cut = app.page.evaluate(
        """() => Array.from(document.querySelectorAll('.q2030-table')).filter(box => {
             const table = box.querySelector('table');
             return box.scrollWidth > box.clientWidth + 1
               || (table && table.getBoundingClientRect().right > window.innerWidth + 1);
           }).map(box => box.getAttribute('aria-label'))"""
    )
    assert cut == [], cut


EVERY_ROLE = {**SCOPES, "organisateur": ("widget_departement", DEP_LABEL)}  # role -> its scope in the sidebar


@pytest.mark.parametrize("browser_page", [1440], indirect=True)
@pytest.mark.parametrize("role", list(EVERY_ROLE))
def test_state_face_on_every_page_of_each_role(browser_page: AppPage, role: str) -> None:
    """Every page a role opens, at 1 440 then 390 px wide: the République française block, the three
    footer links, HTML tables within the window; no English for the eyes or in the accessibility tree."""
    app = browser_page
    app.open("/")
    app.choose("widget_role", ROLES[role])
    scope = EVERY_ROLE[role]
    if scope is not None:
        app.choose(*scope)
    pages = [(key, page) for key, page in PAGES.items() if opens(Actor(email="", role=role), key)]
    assert len(pages) >= 4
    for key, page in pages:
        if key != "accueil":
            app.navigate(page.label, HEADINGS.get(key, page.label))
        for width, height in ((1440, 900), (390, 844)):
            app.page.set_viewport_size({"width": width, "height": height})
            app.settle()
            assert_state_face(app)
            assert_tables_fit(app)
            if role == "organisateur" and key == "accueil":  # « Mes rencontres »: a table, all of it in view
                assert app.page.locator(".q2030-table caption").filter(has_text="Vos rencontres").count() == 1
                app.screenshot(f"facade-organisateur-mes-rencontres-{width}")
        app.page.set_viewport_size({"width": 1440, "height": 900})
        app.settle()
        assert_french_for_eyes_and_ears(app)
        if role == "organisateur":  # the other roles' pages go through axe in test_browser_parcours
            assert axe_violations(app.page) == [], page.label
        assert not app.errors_shown(), f"{page.label} ({role})"


@pytest.mark.parametrize("role", list(MAP_PAGES))
def test_map_and_state_face_on_each_coverage_page(browser_page: AppPage, app_server: AppServer, role: str) -> None:  # noqa: F811
    app = browser_page
    _sign_in(app, role)
    label, heading, tab = MAP_PAGES[role]
    _navigate(app, label, heading)
    if tab:
        app.open_tab(tab)
    assert_map_with_table_beside(app)
    assert_state_face(app)
    assert_french_for_eyes_and_ears(app)
    assert axe_violations(app.page) == []
    assert not app.errors_shown()
    width = (app.page.viewport_size or {"width": 0})["width"]
    app.screenshot(f"facade-{role}-{width}")


def test_national_map_opens_a_departement_from_its_select(browser_page: AppPage, app_server: AppServer) -> None:  # noqa: F811
    app = browser_page
    _sign_in(app, "commission")
    _navigate(app, "Vue nationale", "Vue nationale")
    app.choose("national_departement", "93 – Seine-Saint-Denis")
    detail = app.keyed("national_detail")
    detail.locator("h2").filter(has_text="Seine-Saint-Denis (93)").wait_for()
    assert [t.inner_text().strip() for t in detail.locator('[role="tab"]').all()][:4] == [
        "À faire",
        "Quartiers",
        "Synthèse",
        "Engagements",
    ]


def test_public_page_for_an_anonymous_visitor(browser_page: AppPage, app_server: AppServer) -> None:  # noqa: F811
    app = browser_page
    app.open("/Restitution?dep=93")
    assert_state_face(app)
    subscribe = app.page.get_by_role("link", name=re.compile("S'abonner à l'agenda"))
    assert (subscribe.get_attribute("href") or "").startswith("webcal://")
    assert (subscribe.get_attribute("href") or "").endswith("/app/static/agenda/93.ics")
    codes = [c.inner_text().strip() for c in app.page.locator('[data-testid="stCode"] code').all()]
    assert any(re.fullmatch(r"https?://[^/\s]+/Restitution\?dep=93", c) for c in codes), codes
    assert any(re.fullmatch(r"https?://[^/\s]+/app/static/agenda/93\.ics", c) for c in codes), codes
    assert_map_with_table_beside(app)
    assert_french_for_eyes_and_ears(app)
    assert axe_violations(app.page) == []
    width = (app.page.viewport_size or {"width": 0})["width"]
    if width < 600:  # tables become cards: nothing sticks out on the right
        overflow = app.page.evaluate(
            "() => Array.from(document.querySelectorAll('.q2030-table table'))"
            ".filter(t => t.getBoundingClientRect().right > window.innerWidth + 1).length"
        )
        assert overflow == 0
    app.screenshot(f"facade-public-{width}")


@pytest.mark.parametrize("path", [link.path for link in FOOTER_LINKS])
def test_footer_pages_open_without_sign_in(browser_page: AppPage, app_server: AppServer, path: str) -> None:  # noqa: F811
    app = browser_page
    app.open("/" + path.split("_", 1)[1].removesuffix(".py"))
    assert_state_face(app)
    assert_french_for_eyes_and_ears(app)
    assert axe_violations(app.page) == []


def _in_view(app: AppPage, locator) -> bool:
    box = locator.bounding_box()
    height = (app.page.viewport_size or {"height": 900})["height"]
    return box is not None and box["y"] > -10 and box["y"] + min(box["height"], 40) <= height


def test_planifier_from_the_to_do_list_opens_the_prefilled_form_in_view(
    browser_page: AppPage,
    app_server: AppServer,  # noqa: F811
) -> None:
    app = browser_page
    _sign_in(app, "referent")
    _navigate(app, "Mon département", "Mon département")
    app.open_tab("À faire")
    link = app.page.locator('[class*="st-key-todo_quartiers"] a').filter(has_text="planifier une rencontre").first
    quartier = link.inner_text().split(" : ")[0].split(" (")[0].strip()
    link.click()
    app.page.locator('[data-testid="stApp"] h1').filter(has_text="Rencontres").first.wait_for()
    app.settle()
    form = app.keyed("rf_ouvert")
    heading = form.locator('[data-testid="stExpander"] summary').filter(has_text="Nouvelle rencontre").first
    heading.wait_for()
    app.page.wait_for_function(
        "() => { const e = document.querySelector('.st-key-rf_ouvert'); const r = e && e.getBoundingClientRect();"
        " return r && r.top > 40 && r.top < window.innerHeight / 2; }"
    )
    notice = form.locator('[data-testid="stAlert"]').filter(has_text="Nouvelle rencontre prévue pour")
    assert _in_view(app, notice)
    assert quartier in notice.inner_text()
    assert _in_view(app, heading)
    assert quartier in app.keyed("rf_qpv_codes").inner_text()  # the quartier is already chosen
    width = (app.page.viewport_size or {"width": 0})["width"]
    app.page.screenshot(path=str(SCREENSHOTS / f"facade-planifier-{width}.png"))  # the viewport, as the user sees it
    # Saved: the confirmation appears under the save button, on screen, not at the top of the form.
    day = dt.date.today() + dt.timedelta(days=30)
    app.type_date("rf_date", f"{day:%d%m%Y}")
    app.keyed("rf_lieu").locator("input").fill(f"Salle planifiée ({width} px)")
    button = app.keyed("rf_submit").locator("button")
    button.click()
    notice = app.keyed("notice_rf_submit")
    notice.wait_for()
    app.settle()
    assert re.search(r"Rencontre n° \d+ enregistrée", notice.inner_text())
    notice.scroll_into_view_if_needed()
    below = notice.bounding_box()
    above = app.keyed("rf_submit").bounding_box()
    assert below is not None
    assert above is not None
    assert 0 <= below["y"] - (above["y"] + above["height"]) < 60  # right under the button
    app.page.screenshot(path=str(SCREENSHOTS / f"facade-planifier-enregistree-{width}.png"))


def test_a_click_on_the_national_map_opens_that_departement(browser_page: AppPage, app_server: AppServer) -> None:  # noqa: F811
    from q2030 import geo

    app = browser_page
    _sign_in(app, "commission")
    _navigate(app, "Vue nationale", "Vue nationale")
    carte = app.page.locator('[class*="st-key-national_carte_clic"]')  # renewed after each click
    shapes = carte.locator("g.mark-shape").first.locator("path")
    shapes.first.wait_for()
    order = [f["properties"]["code"] for f in geo.departement_features()]  # Vega draws them in data order
    assert shapes.count() == len(order)
    shapes.nth(order.index("93")).click()
    app.settle()
    detail = app.keyed("national_detail")
    detail.locator("h2").filter(has_text="Seine-Saint-Denis (93)").wait_for()
    assert (
        "93 – Seine-Saint-Denis" in app.keyed("national_departement").locator("input").input_value()
    )  # select follows
    app.page.wait_for_function(
        "() => { const e = document.querySelector('.st-key-national_detail'); const r = e && e.getBoundingClientRect();"
        " return r && r.top > 40 && r.top < window.innerHeight / 2; }"
    )
    width = (app.page.viewport_size or {"width": 0})["width"]
    app.page.screenshot(path=str(SCREENSHOTS / f"facade-carte-clic-{width}.png"))
    # The select under the map still chooses another one.
    app.choose("national_departement", "13 – Bouches-du-Rhône")
    detail.locator("h2").filter(has_text="Bouches-du-Rhône (13)").wait_for()
    assert not app.errors_shown()


def _click_on_national_map(app: AppPage, code: str) -> None:
    """A click on département `code` of the national map (Vega draws the outlines in data order)."""
    from q2030 import geo

    shapes = app.page.locator('[class*="st-key-national_carte_clic"] g.mark-shape').first.locator("path")
    shapes.first.wait_for()
    order = [f["properties"]["code"] for f in geo.departement_features()]
    assert shapes.count() == len(order)
    shapes.nth(order.index(code)).click()
    app.settle()


def _detail_shown(app: AppPage, title: str) -> None:
    app.keyed("national_detail").locator("h2").filter(has_text=title).wait_for()


@pytest.mark.parametrize("browser_page", [1440], indirect=True)
def test_a_second_click_on_the_same_departement_opens_it_again(browser_page: AppPage) -> None:
    """Vega sends a selection only when it changes: the map must start afresh after each click, or a
    second click on the département already clicked (after choosing another one in the select, or
    after leaving the page and coming back) would do nothing."""
    app = browser_page
    _sign_in(app, "commission")
    _navigate(app, "Vue nationale", "Vue nationale")
    _click_on_national_map(app, "93")
    _detail_shown(app, "Seine-Saint-Denis (93)")
    app.choose("national_departement", "13 – Bouches-du-Rhône")
    _detail_shown(app, "Bouches-du-Rhône (13)")
    _click_on_national_map(app, "93")  # the same département again
    _detail_shown(app, "Seine-Saint-Denis (93)")
    assert "93 – Seine-Saint-Denis" in app.keyed("national_departement").locator("input").input_value()
    _click_on_national_map(app, "93")  # and once more, straight after: still open, nothing breaks
    _detail_shown(app, "Seine-Saint-Denis (93)")
    # Away and back: the select starts empty again, and a click on the same département opens it.
    _navigate(app, "Accueil", "Quartiers 2030")
    _navigate(app, "Vue nationale", "Vue nationale")
    _click_on_national_map(app, "93")
    _detail_shown(app, "Seine-Saint-Denis (93)")
    _click_on_national_map(app, "13")
    _detail_shown(app, "Bouches-du-Rhône (13)")
    assert not app.errors_shown()


@pytest.mark.parametrize("browser_page", [1440], indirect=True)
def test_the_open_calendar_speaks_french(browser_page: AppPage) -> None:
    """The date picker's calendar, opened: months, weekdays, day names and its own name in French."""
    app = browser_page
    _sign_in(app, "referent")
    _navigate(app, "Mon département", "Mon département")
    app.page.locator('[data-testid="stDateInputCalendarButton"]').first.click()
    calendar = app.page.locator('[role="application"]').last
    calendar.wait_for()
    app.page.wait_for_function(
        """() => { const c = [...document.querySelectorAll('[role="application"]')].pop();
                   return c && !/Choose date/.test(c.innerText + (c.getAttribute('aria-label') || '')); }"""
    )
    shown = calendar.inner_text()
    months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    assert re.search(rf"({months}) \d{{4}}", shown), shown
    assert re.search(r"\bL\s+M\s+M\s+J\s+V\s+S\s+D\b", shown), shown  # weekdays from Monday
    assert calendar.locator('[aria-label^="lundi "]').count() >= 4
    assert_french_for_eyes_and_ears(app)


def test_a_refused_save_keeps_everything_typed_in_the_rencontre_form(
    browser_page: AppPage,
    app_server: AppServer,  # noqa: F811
) -> None:
    """Typed like a person, refused by the service (a « tenue » meeting in the future): the message
    sits under the date, every value typed is still on screen; corrected, the same form saves."""
    app = browser_page
    width = (app.page.viewport_size or {"width": 0})["width"]
    _sign_in(app, "referent")
    _navigate(app, "Rencontres", "Rencontres")
    day = dt.date.today() + dt.timedelta(days=40 if width > 600 else 41)  # not a duplicate of the other width's
    lieu = f"Salle refusée puis enregistrée ({width} px)"
    app.unfold("Nouvelle rencontre")
    box = app.keyed("rf_qpv_codes").locator("input")
    box.click()
    box.fill("QN093")  # Enter here chose every matching quartier (seen on a screenshot): one code in full
    quartier = app.page.locator('[role="option"]', has_text="QN093").first.inner_text().split(" – ")[0].strip()
    app.page.keyboard.press("Escape")
    app.add_to_multiselect("rf_qpv_codes", quartier)
    app.choose("rf_statut", "Tenue")
    app.type_date("rf_date", f"{day:%d%m%Y}")
    app.keyed("rf_lieu").locator("input").fill(lieu)
    app.keyed("rf_participants").locator("input").fill("25")
    app.keyed("rf_submit").locator("button").click()
    app.page.get_by_text("une rencontre tenue ne peut pas être dans le futur", exact=False).first.wait_for()
    app.settle()
    app.screenshot(f"facade-rencontre-refusee-{width}")
    assert app.page.get_by_text("La rencontre n'a pas été enregistrée").count()
    assert app.keyed("rf_lieu").locator("input").input_value() == lieu
    assert app.keyed("rf_participants").locator("input").input_value() == "25"
    assert "Tenue" in app.keyed("rf_statut").locator("input").input_value()
    assert re.findall(r"QN\d{5}[A-Z]", app.keyed("rf_qpv_codes").inner_text()) == [quartier]
    assert f"{day:%d}" in app.keyed("rf_date").inner_text()
    app.choose("rf_statut", "Prévue")
    app.keyed("rf_submit").locator("button").click()
    notice = app.keyed("notice_rf_submit")
    notice.wait_for()
    app.settle()
    assert re.search(r"Rencontre n° \d+ enregistrée", notice.inner_text())
    assert app.keyed("rf_lieu").locator("input").input_value() == lieu
    assert not app.errors_shown()
