"""Issue 21, item 1, in Chromium: a référent imports a file creating R1 (June), then weeks later a
blank copy of the template calling another meeting R1 (July). The second import is refused on screen, naming
the earlier meeting, and the June meeting keeps its date, place, quartier and contributions."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import FilePayload
from sqlmodel import select

from q2030.models import Contribution, Rencontre, RencontreQpv
from tests.browser_support import AppPage, AppServer
from tests.test_browser import app_database, app_server, app_session  # noqa: F401 - the server fixtures
from tests.test_browser_facade import (  # noqa: F401 - the server and browser fixtures
    _navigate,
    _sign_in,
    browser_page,
)
from tests.test_excel_confiance import _edit
from tests.test_excel_reference import _add

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REFERENCE = "R1"


def _covered_qpvs(server: AppServer) -> list[str]:
    """Two quartiers of the 93 that already have a meeting (coverage stays as other tests expect)."""
    with app_session(server) as session:
        rows = session.exec(
            select(RencontreQpv.qpv_code).join(Rencontre).where(Rencontre.departement_code == "93").distinct()
        ).all()
    return sorted(rows)[:2]


def _june(server: AppServer) -> tuple[Any, ...]:
    with app_session(server) as session:
        june = session.exec(select(Rencontre).where(Rencontre.reference_import == REFERENCE.lower())).one()
        texts = session.exec(select(Contribution.texte).where(Contribution.rencontre_id == june.id)).all()
        qpvs = session.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == june.id)).all()
        return june.id, f"{june.cree_le:%d/%m/%Y}", june.date.isoformat(), june.lieu, sorted(qpvs), sorted(texts)


def _upload_and_import(app: AppPage, content: bytes, name: str) -> None:
    app.upload(
        "excel_upload",
        [
            FilePayload(
                name=name,
                mimeType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                buffer=content,
            )
        ],
    )
    app.keyed("excel_import").locator("button").click()
    app.settle()


@pytest.mark.parametrize("browser_page", [1440], indirect=True)
def test_a_reused_reference_is_refused_on_screen_and_the_june_meeting_is_kept(
    browser_page: AppPage,  # noqa: F811
    app_server: AppServer,  # noqa: F811
) -> None:
    app = browser_page
    june_qpv, july_qpv = _covered_qpvs(app_server)
    _sign_in(app, "referent")
    _navigate(app, "Échanges Excel", "Échanges Excel")
    main = app.page.locator('[data-testid="stMain"]')

    # June: the template downloaded from the page, one new row R1 with 3 contributions.
    blank = app.download(app.keyed("excel_template").locator("button"))
    june_file = _edit(blank, _add(REFERENCE, "15/06/2023", june_qpv, "Salle de juin", ["Juin 1", "Juin 2", "Juin 3"]))
    _upload_and_import(app, june_file, "saisie-juin.xlsx")
    assert "Rencontres créées : 1, mises à jour : 0" in main.inner_text(), main.inner_text()
    june = _june(app_server)
    assert june[2:] == ("2023-06-15", "Salle de juin", [june_qpv], ["Juin 1", "Juin 2", "Juin 3"])

    # July: a blank copy of the same template kept on the desktop, another meeting typed as R1 again
    # (a fresh template is refused the same way: tests/test_excel_reference.py).
    july = _add(REFERENCE, "20/07/2023", july_qpv, "Salle de juillet", ["Juillet"])
    _upload_and_import(app, _edit(blank, july), "saisie-juillet.xlsx")
    refusal = app.page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert "1 erreur : rien n'a été importé" in refusal, refusal
    # The row and the earlier meeting are named in full, not cut by a table cell.
    expected = f"R1 a déjà servi le {june[1]} pour la rencontre n° {june[0]} (du 15/06/2023"
    assert "Rencontres, ligne" in refusal, refusal
    assert expected in refusal, refusal
    app.screenshot("excel-reference-reutilisee-1440")
    assert _june(app_server) == june  # the June meeting is untouched
    assert not app.errors_shown()
