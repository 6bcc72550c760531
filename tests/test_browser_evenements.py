"""A platform's event list through « Échanges Excel » in Chromium (1 440 and 390 px): upload a
Decidim export, see the guessed columns and the preview, import, read the confirmation under the
button (issue 22 item 6)."""

from __future__ import annotations

from collections import Counter

import pytest
from playwright.sync_api import FilePayload
from sqlmodel import col, select

from q2030.models import Qpv, QpvCommune, Rencontre
from tests.browser_support import AppPage, AppServer, axe_violations
from tests.evenements_data import decidim_csv
from tests.test_browser import app_database, app_server, app_session  # noqa: F401 - the server fixtures
from tests.test_browser_facade import (  # noqa: F401 - the server and browser fixtures
    _navigate,
    _sign_in,
    assert_french_for_eyes_and_ears,
    browser_page,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _communes(server: AppServer) -> tuple[str, str]:
    """A commune of the 93 with the fewest quartiers, and one with the most (whatever the demo's geography)."""
    with app_session(server) as session:
        rows = session.exec(
            select(QpvCommune.nom, QpvCommune.qpv_code)
            .join(Qpv, col(Qpv.code) == col(QpvCommune.qpv_code))
            .where(Qpv.departement_code == "93")
        ).all()
    per = Counter(nom for nom, _code in rows if nom)
    ranked = sorted(per, key=lambda n: (-per[n], n))  # several quartiers first (when the geography has one)
    return ranked[-1], ranked[0]


def test_referent_imports_a_decidim_export_from_the_exchange_page(
    browser_page: AppPage,  # noqa: F811
    app_server: AppServer,  # noqa: F811
) -> None:
    app = browser_page
    width = (app.page.viewport_size or {"width": 0})["width"]
    une, plusieurs = _communes(app_server)
    _sign_in(app, "referent")
    _navigate(app, "Échanges Excel", "Échanges Excel")
    app.upload(
        "ev_upload",
        [FilePayload(name="export-decidim.csv", mimeType="text/csv", buffer=decidim_csv(une, plusieurs))],
    )
    source = f"decidim-{width}"  # one source per width: both runs create their own meetings
    app.keyed("ev_source").locator("input").fill(source)
    app.page.keyboard.press("Enter")
    app.settle()
    app.keyed("ev_import").wait_for()
    assert "3 rencontres à créer" in app.page.locator('[data-testid="stMain"]').inner_text()
    assert_french_for_eyes_and_ears(app)
    assert axe_violations(app.page) == []
    app.screenshot(f"evenements-apercu-{width}")
    button = app.keyed("ev_import").locator("button")
    assert button.inner_text().strip() == "Importer 3 rencontres"
    button.click()
    app.settle()
    notice = app.keyed("notice_ev_import")
    notice.wait_for()
    assert "3 rencontres créées" in notice.inner_text()
    # The confirmation is where the user clicked: just under the button, on screen.
    box = notice.bounding_box()
    viewport = app.page.viewport_size or {"height": 900}
    assert box is not None
    assert 0 <= box["y"] < viewport["height"], box
    app.screenshot(f"evenements-import-{width}")
    with app_session(app_server) as session:
        imported = session.exec(select(Rencontre).where(Rencontre.source == source)).all()
    assert len(imported) == 3
    assert {r.validation for r in imported} == {"a_valider"}
    assert not app.errors_shown()
