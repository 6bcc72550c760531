"""The contribution grid of the Rencontres form in Chromium, typed and pasted like a person would.

Its own server over the demo campaign (SQLite; a database of its own on the PostgreSQL server
when Q2030_TEST_DATABASE_URL is set). The référent opens a meeting without contributions,
pastes four lines copied from a spreadsheet into the empty grid, types six more cell by cell
(Tab between cells, Enter at the end of a line, Enter again on the last line), and clicks
« Enregistrer les contributions » while the cursor is still in the last « Contribution » cell:
the ten lines on screen are the ten saved. A line missing its theme is then refused by name
and stays on screen as typed. Screenshots at 1440 and 390 px land in tests/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from sqlmodel import Session, col, select

from q2030.db import make_engine
from q2030.models import Contribution, Rencontre
from q2030.nomenclature import AXES, PUBLICS, THEMES
from tests.browser_support import (
    _GRID_JS,
    AppPage,
    AppServer,
    prepare_demo_database,
    start_app,
    temporary_pg_database,
)
from tests.conftest import PG_URL, QPV_2024_CSV

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.slow

ROW, HEADER, MARKER = 35, 35, 33  # Streamlit's grid: row and header height, row-number column width


@dataclass(frozen=True)
class Ligne:
    axe: str  # what is typed in the pick list to filter it (Tab takes the first match)
    theme: str
    public: str
    rang: str
    texte: str


COLLEES = [  # copied from a spreadsheet: full labels, tab-separated
    ("3. Projets structurants", "Santé", "Femmes", "1", "Une maison de santé au cœur du quartier"),
    ("2. Ressources et acteurs à mobiliser", "Jeunesse", "Jeunes", "", "Les éducateurs de rue, le soir"),
    ("1. Changements attendus d'ici 2030", "Éducation", "Tous", "2", "Des devoirs faits avec une aide après l'école"),
    ("4. Solutions et dispositifs à déployer en priorité", "Emploi", "Tous", "", "Un forum emploi sur la place"),
]
TAPEES = [
    Ligne("Changements", "Santé", "Femmes", "1", "Un médecin qui reste plus de deux ans"),
    Ligne("Ressources", "Culture", "Tous", "", "La médiathèque ouverte le dimanche"),
    Ligne("Projets", "Logement", "Jeunes", "3", "Rénover les halls et les ascenseurs"),
    Ligne("Solutions", "Emploi", "Tous", "", "Des stages pour les collégiens de 3e"),
    Ligne("Changements", "Éducation", "Tous", "2", "Moins d'élèves par classe"),
    Ligne("Projets", "Santé", "Jeunes", "", "Un terrain de sport éclairé"),  # saved while still being typed
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    if not QPV_2024_CSV.exists():
        pytest.skip(f"fichier de référence absent : {QPV_2024_CSV}")
    if PG_URL:
        with temporary_pg_database(PG_URL, "q2030_grille") as url:
            yield from _serve(url, tmp_path_factory)
    else:
        yield from _serve(f"sqlite:///{tmp_path_factory.mktemp('grille_db') / 'q2030.db'}", tmp_path_factory)


def _serve(url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    prepare_demo_database(url, QPV_2024_CSV, seed=8)
    app = start_app(url, tmp_path_factory.mktemp("grille_app"))
    yield app
    app.stop()


def _empty_meetings(server: AppServer) -> list[int]:
    """Meetings of the 93 without any contribution (the demo leaves its planned ones empty)."""
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            having = {r for r in session.exec(select(Contribution.rencontre_id)).all()}
            meetings = session.exec(
                select(Rencontre.id, Rencontre.statut)
                .where(Rencontre.departement_code == "93")
                .order_by(col(Rencontre.id))
            ).all()
            return [rid for rid, statut in meetings if rid not in having and statut != "annulee" and rid is not None]
    finally:
        engine.dispose()


def _saved(server: AppServer, rencontre_id: int) -> list[tuple[str, str, str, int | None, str]]:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Contribution).where(Contribution.rencontre_id == rencontre_id).order_by(col(Contribution.id))
            ).all()
            return [(c.axe, c.theme, c.public, c.rang, c.texte) for c in rows]
    finally:
        engine.dispose()


class Grille:
    """The contribution grid of one meeting, driven with the mouse and the keyboard only."""

    def __init__(self, app: AppPage, rencontre_id: int) -> None:
        self.app, self.page = app, app.page
        self.element = app.keyed(f"rc_editor_{rencontre_id}")
        self.element.locator('table[role="grid"] tbody tr').first.wait_for(state="attached")

    def rows(self) -> list[list[str]]:
        self.element.locator('table[role="grid"] tbody tr').first.wait_for(state="attached")
        rows: list[list[str]] = self.element.evaluate(_GRID_JS)["rows"]
        return rows

    def _cell_point(self, row: int) -> tuple[float, float]:
        """The « Axe » cell of line `row` (0-based; len(rows) is the « add a row » line)."""
        self.element.scroll_into_view_if_needed()
        box = self.element.locator("canvas").first.bounding_box()
        assert box is not None
        return box["x"] + MARKER + 60, box["y"] + HEADER + ROW * row + ROW / 2

    def _editing(self) -> None:
        """Wait for a cell editor (pick list or text box) to hold the keyboard."""
        self.page.wait_for_function(
            "() => !!document.activeElement && !!document.activeElement.closest('[id^=gdg-overlay]')",
            timeout=10_000,
        )

    def _left_editor(self) -> None:
        self.page.wait_for_function(
            "() => !document.activeElement || !document.activeElement.closest('[id^=gdg-overlay]')",
            timeout=10_000,
        )

    def paste(self, lines: Sequence[tuple[str, ...]]) -> None:
        """Click the first cell, Ctrl+V lines copied from a spreadsheet (TSV on the clipboard)."""
        self.page.evaluate("t => navigator.clipboard.writeText(t)", "\n".join("\t".join(line) for line in lines))
        self.page.mouse.click(*self._cell_point(0))
        self.page.wait_for_timeout(200)
        self.page.keyboard.press("Control+V")
        self.page.wait_for_function(
            "([el, n]) => el.querySelectorAll('table[role=\"grid\"] tbody tr').length >= n",
            arg=[self.element.element_handle(), len(lines)],
        )

    def _at(self, column: int, row: int) -> None:
        """Wait for the keyboard to be on that cell, no editor open (columns from 1 = « Axe »)."""
        self.page.wait_for_function(
            """id => {
              const cell = document.querySelector('td[aria-selected="true"]');
              const active = document.activeElement;
              return !!cell && cell.id === id && !(active && active.closest('[id^=gdg-overlay]'));
            }""",
            arg=f"glide-cell-{column}-{row}",
            timeout=10_000,
        )
        self.page.wait_for_timeout(50)

    def type_line(self, line: Ligne, *, finish: bool = True) -> None:
        """Click the line's « Axe » cell, then cell by cell: type, Tab. `finish`: Enter at the end."""
        keyboard = self.page.keyboard
        rows = self.rows()
        # A click on the « add a row » line adds a row and opens its « Axe » pick list; a blank line
        # left by Enter is clicked instead (selected: the first key typed opens the pick list).
        blank = bool(rows) and not any(rows[-1][:2] + rows[-1][3:])
        row = len(rows) - 1 if blank else len(rows)
        self.page.mouse.click(*self._cell_point(row))
        self.page.wait_for_timeout(200)
        for column, value in enumerate((line.axe, line.theme, line.public, line.rang), start=1):
            if value:  # else the cell is left as it is
                keyboard.type(value, delay=20)  # on a selected cell, the first key opens its editor
                self._editing()
            keyboard.press("Tab")  # a pick list takes its first match; the next cell
            self._at(column + 1, row)
        keyboard.type(line.texte, delay=10)
        self._editing()
        if finish:
            keyboard.press("Enter")
            self._left_editor()

    def save(self) -> str:
        """One click on the button; the answer under it (a success or the refusal)."""
        self.page.get_by_role("button", name="Enregistrer les contributions").click()
        answer = self.page.locator('[data-testid="stAlert"]').filter(
            has_text=re.compile(r"enregistrées?\.|n'ont pas été enregistrées")
        )
        answer.first.wait_for(timeout=30_000)
        self.app.settle()
        return " | ".join(self.page.locator('[data-testid="stAlert"]').all_inner_texts())


def _open(chromium: Browser, server: AppServer, width: int, rencontre_id: int) -> AppPage:
    context = chromium.new_context(
        viewport={"width": width, "height": 1000}, locale="fr-FR", permissions=["clipboard-read", "clipboard-write"]
    )
    app = AppPage(context.new_page(), server.url)
    app.open(f"/Rencontres?rencontre={rencontre_id}")  # the demo starts as référent of the 93
    return app


def _label(line: Ligne) -> tuple[str, str, str, str, str]:
    axe = next(v for v in AXES.values() if line.axe in v)
    theme = next(v[0] for v in THEMES.values() if v[0].startswith(line.theme))
    return axe, theme, line.public, line.rang, line.texte


def test_ten_contributions_pasted_and_typed_are_the_ten_saved(chromium: Browser, server: AppServer) -> None:
    rencontre_id = _empty_meetings(server)[0]
    app = _open(chromium, server, 1440, rencontre_id)
    grid = Grille(app, rencontre_id)
    assert grid.rows() == [["", "", PUBLICS["tous"], "", ""]]  # one empty line to click and paste on

    grid.paste(COLLEES)
    assert grid.rows() == [list(line) for line in COLLEES]
    for number, line in enumerate(TAPEES[:-1]):
        grid.type_line(line)
        if number == 2:
            app.page.keyboard.press("Enter")  # Enter again on the last line: a blank line, never saved
            app.page.keyboard.press("Escape")
    grid.type_line(TAPEES[-1], finish=False)  # the cursor is still in « Contribution »
    shown = [row for row in grid.rows() if any(row[:2] + row[3:])]
    assert len(shown) == 10
    assert shown[-1][4] == ""
    assert app.page.evaluate("() => document.activeElement.tagName") == "TEXTAREA"
    app.screenshot("grille-contributions-saisie-1440")

    alerts = grid.save()
    assert "10 contributions enregistrées." in alerts, alerts
    expected = [list(line) for line in COLLEES] + [list(_label(line)) for line in TAPEES]
    assert grid.rows() == expected
    saved = _saved(server, rencontre_id)
    assert [c[4] for c in saved] == [line[-1] for line in expected]
    assert len(saved) == 10
    assert saved[-1][:4] == ("projets", "sante", "jeunes", None)
    assert not app.errors_shown()
    app.screenshot("grille-contributions-enregistrees-1440")

    # A line missing its theme, saved with the cursor in its text: refused by name, left as typed.
    grid.type_line(Ligne("Solutions", "", "Tous", "", "Une ligne sans thème"), finish=False)
    alerts = grid.save()
    assert "Les contributions n'ont pas été enregistrées" in alerts, alerts
    assert "Ligne 11, colonne « Thème » : à remplir." in alerts, alerts
    assert grid.rows()[10][-1] == "Une ligne sans thème"
    assert len(_saved(server, rencontre_id)) == 10
    app.screenshot("grille-contributions-refus-1440")
    app.page.context.close()

    phone = _open(chromium, server, 390, rencontre_id)
    assert len(Grille(phone, rencontre_id).rows()) == 10
    phone.screenshot("grille-contributions-enregistrees-390")
    phone.page.context.close()


def test_grid_pick_lists_speak_french(chromium: Browser, server: AppServer) -> None:
    rencontre_id = _empty_meetings(server)[-1]
    app = _open(chromium, server, 390, rencontre_id)
    grid = Grille(app, rencontre_id)
    grid.page.mouse.click(*grid._cell_point(1))  # the « add a row » line: its « Axe » pick list opens
    grid._editing()
    app.page.keyboard.type("Proj", delay=20)
    app.page.wait_for_timeout(300)
    overlay = app.page.locator("[id^=gdg-overlay]").first.evaluate("e => e.textContent")
    menu = app.page.locator('[role="listbox"]').first.inner_text()
    assert "3. Projets structurants" in menu
    for english in ("Select", "result", "available", "Use Up and Down", "No options", "focused"):
        assert english not in overlay, overlay
    assert "choix disponible" in overlay, overlay
    app.screenshot("grille-contributions-saisie-390")
    app.page.context.close()
