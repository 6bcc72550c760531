"""A local organiser's meeting, end to end in the real app (issue 24): Chromium, a real server,
the demo campaign.

The organiser (demo sign-in: role and département in the sidebar, as the other browser
tests sign in) declares a held meeting on an uncovered quartier, uploads its compte rendu
(PDF) and enters 5 contributions through the Excel template restricted to its meetings; the
référent sees it in « À valider » and validates it. Coverage (« Non couverts ») and
Priorités (a search for the contributions' words) change only after the validation.
Screenshots of the organiser's view and of the référent's queue at 1440 and 390 px wide.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from q2030 import coverage, declarations
from q2030.access import FRANCE
from q2030.campaigns import active_campaign
from q2030.formatting import fr_date
from q2030.nomenclature import AXES, THEMES
from tests.browser_support import AppPage, AppServer
from tests.conftest import QPV_2024_CSV
from tests.helpers import pdf_document
from tests.test_browser import (  # noqa: F401 - the server and browser fixtures of the browser suite
    DEP,
    app_database,
    app_server,
    app_session,
    assert_server_clean,
    non_couverts,
    sign_in,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ORGANISATEUR_ROLE = "Organisateur local"
LIEU = "Centre social (déclaration navigateur)"
MOT = "Zéphyrine"  # a word no demo contribution holds: Priorités finds it only once validated
CONTRIBUTIONS = [
    ("changements", "securite", f"{MOT} : plus d'éclairage le soir", 1),
    ("changements", "education", f"{MOT} : soutien scolaire", 2),
    ("ressources", "culture", f"{MOT} : la médiathèque", 1),
    ("projets", "logement", f"{MOT} : rénover les halls", 1),
    ("solutions", "emploi", f"{MOT} : un forum de l'emploi", 1),
]


def _context(chromium: Any, server: AppServer, width: int) -> tuple[Any, AppPage]:
    if width < 500:
        context = chromium.new_context(
            viewport={"width": width, "height": 844}, locale="fr-FR", is_mobile=True, has_touch=True
        )
    else:
        context = chromium.new_context(viewport={"width": width, "height": 900}, locale="fr-FR", accept_downloads=True)
    return context, AppPage(context.new_page(), server.url)


@pytest.fixture
def pages(chromium: Any, app_server: AppServer) -> Iterator[dict[str, AppPage]]:  # noqa: F811
    contexts = {}
    out = {}
    for name, width in (("referent", 1440), ("organisateur", 1440), ("referent_390", 390), ("organisateur_390", 390)):
        contexts[name], out[name] = _context(chromium, app_server, width)
    yield out
    for context in contexts.values():
        context.close()


def sign_in_organiser(app: AppPage) -> None:
    """Demo mode: the role and the département in the sidebar (unfolded first on a phone)."""
    app.open("/")
    folded = app.page.locator('[data-testid="stExpandSidebarButton"]')
    if folded.is_visible():
        folded.click()
        app.page.locator('[data-testid="stSidebarContent"]').wait_for()
    app.choose("widget_role", ORGANISATEUR_ROLE)
    app.choose("widget_departement", "93 – Seine-Saint-Denis")
    collapse = app.page.locator('[data-testid="stSidebarCollapseButton"] button')
    if app.page.viewport_size and app.page.viewport_size["width"] < 500 and collapse.count():
        collapse.first.evaluate("button => button.click()")  # fold it again: the page is what is shown
        app.settle()


def _search(app: AppPage) -> str:
    """Priorités, tab « Recherche »: what a search for MOT shows."""
    app.navigate("Priorités des habitants", "Priorités des habitants")
    app.open_tab("Recherche")
    box = app.keyed("prio_recherche").locator("input")
    box.fill(MOT)
    box.press("Enter")
    app.page.get_by_text("Les résultats d'une recherche").first.wait_for()  # shown once the search ran
    app.settle()
    return str(app.page.locator('[data-testid="stMain"]').inner_text())


def _my_meeting(app: AppPage, rencontre_id: int) -> dict[str, str]:
    """The organiser's row of the meeting in « Mes rencontres »: place, state, what is missing."""
    table = app.page.locator(".q2030-table").filter(has=app.page.locator("caption", has_text="Vos rencontres"))
    content = table.first.evaluate(
        """t => ({header: Array.from(t.querySelectorAll('thead th')).map(c => c.textContent.trim()),
                 rows: Array.from(t.querySelectorAll('tbody tr'))
                   .map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim()))})"""
    )
    header, rows = content["header"], content["rows"]
    row = next(dict(zip(header, r, strict=False)) for r in rows if r and str(rencontre_id) in r[:2])
    return {key: row[key] for key in ("Lieu", "État", "Reste à faire")}


def _uncovered_quartier(server: AppServer) -> str:
    with app_session(server) as session:
        status = coverage.qpv_status(session, actor=FRANCE, departement_code=DEP)
        pending = declarations.quartiers(session, actor=FRANCE, departement_code=DEP)
    free = set(pending[(pending["declarees"] == 0) & (pending["validees"] == 0)]["qpv_code"])
    candidates = [code for code in status[status["statut"] == "non_couvert"]["qpv_code"] if code in free]
    if not candidates and not QPV_2024_CSV.exists():
        # The demonstration's fictitious quartiers (without the real QPV file) leave none in the 93.
        pytest.skip(f"fichier de référence absent : {QPV_2024_CSV}")
    assert candidates, f"aucun quartier du {DEP} non couvert et sans déclaration dans la démonstration"
    return str(candidates[0])


def _filled_template(template: bytes, rencontre_id: int) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["Contributions"]
    header = [cell.value for cell in sheet[1]]
    row = sheet.max_row + 1
    for axe, theme, texte, rang in CONTRIBUTIONS:
        values = {
            "Identifiant de la rencontre": rencontre_id,
            "Axe": AXES[axe],
            "Thème": THEMES[theme][0],
            "Contribution": texte,
            "Rang": rang,
        }
        for column, name in enumerate(header, start=1):
            if name in values:
                sheet.cell(row=row, column=column, value=values[name])
        row += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_organiser_declares_files_and_the_referent_validates(
    pages: dict[str, AppPage],
    app_server: AppServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    referent, organiser = pages["referent"], pages["organisateur"]
    qpv = _uncovered_quartier(app_server)
    with app_session(app_server) as session:
        campaign = active_campaign(session)
    day = min(campaign.rencontres_echeance, dt.date.today()) - dt.timedelta(days=3)

    # Before: the référent's coverage and Priorités.
    sign_in(referent, "referent")
    referent.navigate("Mon département", "Mon département")
    missing_before = non_couverts(referent)
    assert "Aucune contribution ne contient ces mots." in _search(referent)

    # The organiser declares a held meeting on the quartier.
    sign_in_organiser(organiser)
    organiser.navigate("Rencontres", "Rencontres")
    organiser.unfold("Nouvelle rencontre")
    organiser.add_to_multiselect("rf_qpv_codes", qpv)
    organiser.choose("rf_statut", "Tenue")
    organiser.type_date("rf_date", f"{day:%d%m%Y}")
    organiser.keyed("rf_lieu").locator("input").fill(LIEU)
    organiser.keyed("rf_participants").locator("input").fill("25")
    organiser.keyed("rf_submit").locator("button").click()
    organiser.page.get_by_text(
        re.compile(r"Rencontre n° \d+ enregistrée|La rencontre n'a pas été enregistrée")
    ).first.wait_for()
    organiser.settle()
    assert not organiser.page.get_by_text("La rencontre n'a pas été enregistrée").count(), organiser.page.inner_text(
        "main"
    )
    chosen = organiser.keyed("rf_choice").locator("input").input_value()
    assert f"{fr_date(day)} – Tenue – {LIEU}" in chosen
    numero = re.search(r"n° (\d+)", chosen)
    assert numero, f"pas de numéro de rencontre dans « {chosen} »"
    rencontre_id = int(numero.group(1))

    # Its compte rendu (PDF).
    pdf = tmp_path / "compte-rendu-centre-social.pdf"
    pdf.write_bytes(pdf_document("Compte rendu de la rencontre du centre social"))
    organiser.upload(f"rd_upload_{rencontre_id}_0", pdf)
    organiser.keyed("rd_save").locator("button").click()
    organiser.page.get_by_text("Compte rendu « compte-rendu-centre-social.pdf » déposé.").first.wait_for()
    organiser.settle()

    # Five contributions, through the Excel template restricted to the organiser's meetings.
    organiser.navigate("Échanges Excel", "Échanges Excel")
    template = organiser.download(organiser.keyed("excel_template").locator("button"))
    filled = tmp_path / "modele-rempli.xlsx"
    filled.write_bytes(_filled_template(template, rencontre_id))
    organiser.upload("excel_upload", filled)
    organiser.keyed("excel_import").locator("button").click()
    organiser.page.locator(
        '[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentError"]'
    ).first.wait_for()
    organiser.settle()
    assert not organiser.page.locator('[data-testid="stAlertContentError"]').count(), organiser.page.inner_text("main")

    # The organiser's view: the meeting awaits validation, nothing missing but the synthesis.
    organiser.navigate("Accueil", "Quartiers 2030")
    assert _my_meeting(organiser, rencontre_id) == {
        "Lieu": LIEU,
        "État": "Tenue — déclarée, à valider",
        "Reste à faire": "synthèse envoyée aux participants",
    }
    organiser.screenshot("organisateur-1-mes-rencontres-1440")
    phone = pages["organisateur_390"]
    sign_in_organiser(phone)
    phone.screenshot("organisateur-2-mes-rencontres-390")

    # Nothing counts yet: coverage and Priorités unchanged for the référent.
    referent.navigate("Mon département", "Mon département")
    assert non_couverts(referent) == missing_before
    while not referent.keyed(f"va_ok_{rencontre_id}").count():  # the queue shows a few at a time, oldest first
        referent.keyed("va_plus").locator("button").click()
        referent.settle()
    queue = referent.page.locator('[data-testid="stMain"]').inner_text()
    assert f"N° {rencontre_id} — {fr_date(day)} — {LIEU}" in queue
    referent.screenshot("organisateur-3-file-a-valider-1440")
    referent_phone = pages["referent_390"]
    referent_phone.page.goto(f"{referent_phone.base_url}/Mon_departement")  # the demo opens as référent 93
    referent_phone.page.locator('[data-testid="stApp"] h1').filter(has_text="Mon département").first.wait_for()
    referent_phone.settle()
    referent_phone.screenshot("organisateur-4-file-a-valider-390")
    assert "Aucune contribution ne contient ces mots." in _search(referent)

    # The référent validates: the quartier is covered, the contributions are found.
    referent.navigate("Mon département", "Mon département")
    referent.keyed(f"va_ok_{rencontre_id}").locator("button").click()  # still shown: the count is kept
    referent.page.get_by_text(f"Rencontre n° {rencontre_id} validée : elle compte désormais.").first.wait_for()
    referent.settle()
    assert f"N° {rencontre_id} — " not in referent.page.locator('[data-testid="stMain"]').inner_text()
    assert non_couverts(referent) == missing_before - 1
    found = _search(referent)
    assert "Aucune contribution ne contient ces mots." not in found
    assert f"{MOT} : soutien scolaire" in found or "Contributions trouvées" in found

    # The organiser's tab is still on Accueil: a link to the page already shown may not rerun it
    # (seen in CI: the row still read « à valider »), so leave it and come back.
    organiser.navigate("Échanges Excel", "Échanges Excel")
    organiser.navigate("Accueil", "Quartiers 2030")
    assert _my_meeting(organiser, rencontre_id)["État"] == "Tenue — validée"
    assert not organiser.errors_shown()
    assert not referent.errors_shown()
    assert_server_clean(app_server)
