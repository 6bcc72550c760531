"""Parcours (issue 13) in the real app: Chromium, a real server, the demo campaign.

Each test follows a user: the préfecture de région opens a département from Ma région, a
référent opens a late synthesis and plans a meeting from Mon département, every role reads
every page without an English string, and Mon département fits a phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from q2030.access import Actor
from q2030.nomenclature import ROLES
from q2030.ui.shell import PAGES, opens
from tests.browser_support import AppPage, AppServer, axe_violations
from tests.test_browser import (  # noqa: F401 - the server and browser fixtures of the browser suite
    DEP,
    HEADINGS,
    SCOPES,
    app_database,
    app_server,
    assert_server_clean,
    sign_in,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# The English strings the issue found on screen (Streamlit's own texts).
ENGLISH = (
    "No results", "Select all", "Press Enter", "dd / mm", "dd/mm", "yyyy", "HH : mm", "HH:mm", "Upload",
    "Drag and drop", "Limit 10MB", "per file", "Browse files", "Download as CSV", "Show/hide columns",
    "Fullscreen", "Select...", "Choose an option",
)  # fmt: skip

# What a user sees: text nodes that are drawn (not display:none, hidden, 0 px or transparent),
# plus the text drawn by CSS (::before / ::after content).
_RENDERED_TEXT_JS = """() => {
  const seen = [];
  const drawn = el => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none') return false;
    }
    const s = getComputedStyle(el);
    return s.visibility === 'visible' && parseFloat(s.fontSize) > 0 && s.color !== 'rgba(0, 0, 0, 0)';
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    if (text && n.parentElement && !['SCRIPT', 'STYLE'].includes(n.parentElement.tagName) && drawn(n.parentElement)) {
      seen.push(text);
    }
  }
  for (const el of document.body.querySelectorAll('*')) {
    for (const pseudo of ['::before', '::after']) {
      const c = getComputedStyle(el, pseudo).content;
      if (c && c !== 'none' && c !== 'normal' && c.startsWith('"') && drawn(el)) seen.push(c.slice(1, -1));
    }
  }
  return seen.join('\\n');
}"""


def rendered_text(app: AppPage) -> str:
    return str(app.page.evaluate(_RENDERED_TEXT_JS))


def english_on(app: AppPage) -> list[str]:
    text = rendered_text(app)
    return [word for word in ENGLISH if word in text]


@pytest.fixture
def app(chromium, app_server: AppServer) -> Iterator[AppPage]:  # noqa: F811
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR", accept_downloads=True)
    yield AppPage(context.new_page(), app_server.url)
    context.close()


@pytest.fixture
def phone(chromium, app_server: AppServer) -> Iterator[AppPage]:  # noqa: F811
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield AppPage(context.new_page(), app_server.url)
    context.close()


def test_ma_region_opens_the_chosen_departement_where_the_user_looks(app: AppPage, app_server: AppServer) -> None:  # noqa: F811
    sign_in(app, "prefet_region")
    app.navigate(PAGES["ma_region"].label, PAGES["ma_region"].label)
    header, _rows = app.grid_after("Départements de la région")
    assert header[:3] == ["Département", "Synthèses en retard", "CR manquants"]
    assert not app.keyed("region_detail").count()
    app.choose("region_departement", "93 – Seine-Saint-Denis")
    detail = app.keyed("region_detail")
    detail.locator("h2").filter(has_text="Seine-Saint-Denis (93)").wait_for()
    picker = app.keyed("region_departement").bounding_box()
    heading = detail.locator("h2").first.bounding_box()
    assert picker
    assert heading
    assert 0 < heading["y"] - picker["y"] < 200  # right under the picker, not 1 500 px below
    # Choosing another one replaces it: one selection, nothing snaps back.
    app.choose("region_departement", "94 – Val-de-Marne")
    detail.locator("h2").filter(has_text="Val-de-Marne (94)").wait_for()
    assert not detail.locator("h2").filter(has_text="Seine-Saint-Denis").count()
    assert not app.errors_shown()
    assert_server_clean(app_server)


def test_late_synthesis_opens_from_mon_departement_into_its_form(app: AppPage, app_server: AppServer) -> None:  # noqa: F811
    sign_in(app, "referent")
    app.navigate(PAGES["mon_departement"].label, PAGES["mon_departement"].label)
    late = app.keyed(f"todo_syntheses_{DEP}").locator("a").first
    label = late.inner_text()
    number = re.match(r"Rencontre n° (\d+) du", label)
    assert number, label
    assert "échue depuis" in label
    late.click()
    app.page.locator('[data-testid="stApp"] h1').filter(has_text="Rencontres").first.wait_for()
    app.settle()
    app.page.get_by_text(f"Rencontre n° {number[1]} ouverte ci-dessous.").wait_for()
    assert f"n° {number[1]} –" in app.keyed("rf_choice").locator("input").input_value()
    assert app.page.get_by_role("button", name="Enregistrer la rencontre").count() or app.keyed("rf_form").count()
    assert not app.errors_shown()


def test_planifier_une_rencontre_from_an_uncovered_quartier(app: AppPage, app_server: AppServer) -> None:  # noqa: F811
    sign_in(app, "referent")
    app.navigate(PAGES["mon_departement"].label, PAGES["mon_departement"].label)
    app.keyed("couverture_au_departement").locator('[data-type="day"]').click()
    app.page.keyboard.type("01062023")  # early in the campaign: many quartiers to plan
    app.page.keyboard.press("Enter")
    app.settle()
    app.page.get_by_text("Situation au 01/06/2023 (date choisie).").wait_for()
    link = app.keyed(f"todo_quartiers_{DEP}").locator("a").filter(has_text="planifier une rencontre").first
    quartier = link.inner_text().split(" (")[0].split(" : ")[0]
    link.click()
    app.page.locator('[data-testid="stApp"] h1').filter(has_text="Rencontres").first.wait_for()
    app.settle()
    app.page.get_by_text("Nouvelle rencontre prévue pour").wait_for()
    assert quartier in app.keyed("rf_qpv_codes").inner_text()
    assert app.keyed("rf_choice").locator("input").input_value() == "Nouvelle rencontre"
    assert not app.errors_shown()


def test_mon_departement_fits_a_phone(phone: AppPage, app_server: AppServer) -> None:  # noqa: F811
    phone.open("/")
    # The sidebar starts folded on a phone: the page is readable without closing it first.
    covered = phone.page.evaluate(
        "() => { const h = document.querySelector('[data-testid=\"stMain\"] h1').getBoundingClientRect();"
        " const top = document.elementFromPoint(h.left + h.width / 2, h.top + h.height / 2);"
        " return !top || !top.closest('[data-testid=\"stMain\"]'); }"
    )
    assert not covered, "la barre latérale recouvre la page sur un téléphone"
    phone.page.goto(f"{phone.base_url}/Mon_departement")
    phone.settle()
    phone.page.locator('[data-testid="stApp"] h1').filter(has_text="Mon département").first.wait_for()
    overflow = phone.page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return [m.scrollWidth, m.clientWidth, document.documentElement.scrollWidth, window.innerWidth]; }"
    )
    assert overflow[0] <= overflow[1], overflow
    assert overflow[2] <= overflow[3], overflow
    phone.screenshot("phone-referent-mon_departement")


@pytest.mark.parametrize("role", list(SCOPES))
def test_no_english_on_any_page_for_any_role(app: AppPage, app_server: AppServer, role: str) -> None:  # noqa: F811
    """The rendered text of every page (CSS-drawn text included) has none of the issue's English
    strings, and axe-core finds nothing serious or critical (RGAA); screenshots of every page
    at 1 440 and 390 px wide."""
    sign_in(app, role)
    found: dict[str, list[str]] = {}
    accessibility: dict[str, list[dict[str, object]]] = {}
    for number, (key, page) in enumerate((k, p) for k, p in PAGES.items() if opens(Actor(email="", role=role), k)):
        if key != "accueil":
            app.navigate(page.label, HEADINGS.get(key, page.label))
        english = english_on(app)
        if english:
            found[key] = english
        violations = axe_violations(app.page)
        if violations:
            accessibility[key] = violations
        app.screenshot(f"parcours-{role}-{number:02d}-{key}-1440")
        app.page.set_viewport_size({"width": 390, "height": 844})
        app.settle()
        app.screenshot(f"parcours-{role}-{number:02d}-{key}-390")
        app.page.set_viewport_size({"width": 1440, "height": 900})
        app.settle()
    assert not found, found
    assert not accessibility, accessibility
    assert ROLES[role]


def test_chart_axes_read_french_numbers(app: AppPage, app_server: AppServer) -> None:  # noqa: F811
    """Vega draws axes with the fr-FR locale: "1 600", never "1,600"; percentages "20 %"."""
    sign_in(app, "commission")
    app.navigate(PAGES["national"].label, PAGES["national"].label)
    app.page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for()
    labels = app.page.locator('[data-testid="stVegaLiteChart"] svg text').evaluate_all(
        "ts => ts.map(t => t.textContent)"
    )
    assert labels
    assert not [t for t in labels if re.fullmatch(r"\d{1,3}(,\d{3})+", t)], labels
    assert not [t for t in labels if re.fullmatch(r"\d+%", t)], labels
    assert [t for t in labels if re.fullmatch(r"\d{1,3}(\u202f\d{3})+|\d+\u202f%", t)], labels


def test_situation_au_applies_on_enter(app: AppPage, app_server: AppServer) -> None:  # noqa: F811
    sign_in(app, "referent")
    app.navigate(PAGES["mon_departement"].label, PAGES["mon_departement"].label)
    app.keyed("couverture_au_departement").locator('[data-type="day"]').click()
    app.page.keyboard.type("01062023")
    app.page.keyboard.press("Enter")
    app.settle()
    app.page.get_by_text("Situation au 01/06/2023 (date choisie).").wait_for()
    assert not app.errors_shown()
