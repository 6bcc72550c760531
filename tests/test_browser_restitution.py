"""The residents' side in a real browser: `streamlit run` in OIDC mode (nobody signed in, no
secrets: every agent page refuses), a demo campaign plus a published and an unpublished compte
rendu, an engagement and a planned rencontre whose notes carry a marker.

An anonymous visitor opens a département and a quartier page, subscribes to the département's
`.ics` (served by Streamlit's static file serving), downloads the published compte rendu with
the keyboard too, is refused the unpublished one by its address and every agent page; nothing
internal appears anywhere. axe-core (npm) checks the public pages: no serious or critical
violation. Screenshots at 1440 and 390 px in tests/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from q2030 import engagements
from q2030.access import Actor
from q2030.db import make_engine, session_scope
from q2030.documents import add_document, publier_document
from q2030.models import Rencontre, RencontreQpv, stored_id
from q2030.rencontres.ecriture import create_rencontre
from q2030.ui.shell import PAGES, PUBLIC_PAGE
from tests.browser_support import (
    AppPage,
    AppServer,
    axe_violations,
    get,
    prepare_demo_database,
    project_view,
    start_app,
    temporary_pg_database,
)
from tests.conftest import PG_URL, QPV_2024_CSV
from tests.helpers import pdf_document

REFERENT = Actor(
    email="agent.secret@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11"
)
MARKER = "NOTE-INTERNE-7Q2X"
PDF = pdf_document("Compte rendu public")
HIDDEN_PDF = pdf_document("Brouillon interne")
LIEU = "Maison des habitants (navigateur)"


def _url_path(page_path: str) -> str:
    """Streamlit's address of a pages/ file: the name without its number prefix."""
    if page_path == "streamlit_app.py":
        return "/"
    return "/" + re.sub(r"^\d+_", "", Path(page_path).stem)


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppServer, dict[str, Any]]]:
    workdir = tmp_path_factory.mktemp("public_app")
    with _database(tmp_path_factory) as url:
        prepare_demo_database(url, QPV_2024_CSV if QPV_2024_CSV.exists() else None, seed=8)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("Q2030_UPLOAD_DIR", str(workdir / "uploads"))  # the server's folder (start_app)
            facts = _prepare(url)
        # Its own static/agenda/: the feeds it serves are its own, whatever other servers write.
        server = start_app(url, workdir, auth="oidc", root=project_view(workdir / "projet"))
        try:
            yield server, facts
        finally:
            server.stop()


def _database(tmp_path_factory: pytest.TempPathFactory):
    from contextlib import nullcontext

    if not PG_URL:
        return nullcontext(f"sqlite:///{tmp_path_factory.mktemp('public_db') / 'q2030.db'}")
    return temporary_pg_database(PG_URL, "q2030_public")


def _prepare(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            found = session.exec(
                select(Rencontre.id, RencontreQpv.qpv_code)
                .join(RencontreQpv, col(RencontreQpv.rencontre_id) == col(Rencontre.id))
                .where(Rencontre.departement_code == "93", Rencontre.statut == "tenue", RencontreQpv.direct)
                .order_by(col(Rencontre.id))
            ).first()
            assert found is not None, "the demo has a held rencontre of the 93"
            held_id, qpv = found
            assert held_id is not None
        with session_scope(engine) as session:
            published = add_document(
                session, actor=REFERENT, rencontre_id=held_id, filename="cr-public.pdf", content=PDF
            )
            hidden = add_document(
                session, actor=REFERENT, rencontre_id=held_id, filename="brouillon-interne.pdf", content=HIDDEN_PDF
            )
            publier_document(session, actor=REFERENT, document_id=stored_id(published))
            planned = create_rencontre(
                session,
                actor=REFERENT,
                data={
                    "departement_code": "93",
                    "statut": "prevue",
                    "date": dt.date.today() + dt.timedelta(days=12),
                    "heure_debut": dt.time(18, 30),
                    "heure_fin": dt.time(20, 30),
                    "lieu": LIEU,
                    "type_lieu": "centre_social",
                    "perimetre": "quartier",
                    "qpv_codes": [qpv],
                    "accessibilite": ["pmr", "lsf"],
                    "notes": MARKER,
                },
            )
            engagements.create_engagement(
                session,
                actor=REFERENT,
                departement_code="93",
                data={
                    "titre": "Médiateurs de nuit",
                    "texte_public": "Quatre médiateurs recrutés.",
                    "statut": "engage",
                    "themes": ["securite"],
                    "qpv_codes": [qpv],
                    "jalons": [{"date": "2024-03-01", "texte": "Recrutement"}],
                },
            )
        return {"qpv": qpv, "published": published.id, "hidden": hidden.id, "planned": planned.id}
    finally:
        engine.dispose()


@pytest.fixture
def visitor(chromium: Any, public_server: tuple[AppServer, dict[str, Any]]) -> Iterator[AppPage]:
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR", accept_downloads=True)
    yield AppPage(context.new_page(), public_server[0].url)
    context.close()


def _text(visitor: AppPage) -> str:
    return visitor.page.locator('[data-testid="stApp"]').inner_text()


def _nothing_internal(text: str) -> None:
    assert MARKER not in text
    assert "@" not in text, "no e-mail on a public page"
    assert "brouillon-interne" not in text


def test_departement_page_accessible_and_nothing_internal(
    visitor: AppPage, public_server: tuple[AppServer, dict[str, Any]]
) -> None:
    visitor.open("/Restitution?dep=93")
    assert visitor.heading() == "Restitution publique de la concertation Quartiers 2030"
    text = _text(visitor)
    assert LIEU in text
    assert "Accès PMR, Interprète LSF" in text
    assert "Médiateurs de nuit" in text
    _nothing_internal(text)
    levels = visitor.page.evaluate(
        '() => Array.from(document.querySelectorAll(\'[data-testid="stMain"] h1, [data-testid="stMain"] h2,'
        ' [data-testid="stMain"] h3\')).map(h => Number(h.tagName[1]))'
    )
    assert levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    assert visitor.errors_shown() == []
    assert axe_violations(visitor.page) == []
    visitor.screenshot("restitution-departement-1440")
    visitor.page.set_viewport_size({"width": 390, "height": 844})
    visitor.settle()
    assert axe_violations(visitor.page) == []
    visitor.screenshot("restitution-departement-390")


def test_quartier_page_by_its_address(visitor: AppPage, public_server: tuple[AppServer, dict[str, Any]]) -> None:
    qpv = public_server[1]["qpv"]
    visitor.open(f"/Restitution?qpv={qpv}")
    header = visitor.page.locator('[data-testid="stMain"] h2').first.inner_text()
    assert header.startswith("Rencontres à venir — quartier")
    assert qpv in header
    _nothing_internal(_text(visitor))
    assert axe_violations(visitor.page) == []
    visitor.screenshot("restitution-quartier-1440")


def test_agenda_feed_served_at_a_stable_address(public_server: tuple[AppServer, dict[str, Any]]) -> None:
    server, facts = public_server
    status, content_type, body = get(f"{server.url}/app/static/agenda/93.ics")
    assert status == 200
    assert content_type.startswith("text/calendar")
    assert body.startswith("BEGIN:VCALENDAR")
    assert f"UID:rencontre-{facts['planned']}@quartiers2030" in body
    assert LIEU.replace(",", "\\,") in body.replace("\r\n ", "")
    assert MARKER not in body
    assert REFERENT.email not in body
    assert get(f"{server.url}/app/static/agenda/2A.ics")[0] == 200  # every département, even without rencontre


def test_published_compte_rendu_downloaded_with_the_keyboard(
    visitor: AppPage, public_server: tuple[AppServer, dict[str, Any]]
) -> None:
    visitor.open("/Restitution?dep=93")
    button = visitor.page.get_by_role("button", name=re.compile("cr-public.pdf"))
    assert visitor.download(button) == PDF
    visitor.open("/Restitution?dep=93")
    target = visitor.page.get_by_role("button", name=re.compile("cr-public.pdf"))
    visitor.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(80):  # Tab until the button has the focus, then Enter
        visitor.page.keyboard.press("Tab")
        if target.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("le bouton de téléchargement n'est pas atteignable au clavier")
    with visitor.page.expect_download() as info:
        visitor.page.keyboard.press("Enter")
    assert Path(info.value.path()).read_bytes() == PDF


def test_unpublished_document_refused_by_its_address(
    visitor: AppPage, public_server: tuple[AppServer, dict[str, Any]]
) -> None:
    facts = public_server[1]
    visitor.open(f"/Restitution?document={facts['published']}")
    assert visitor.page.get_by_role("button", name=re.compile("cr-public.pdf")).count() == 1
    visitor.open(f"/Restitution?document={facts['hidden']}")
    assert "Ce document n'existe pas ou n'est pas publié." in _text(visitor)
    assert visitor.page.locator('[data-testid="stDownloadButton"]').count() == 0
    _nothing_internal(_text(visitor))


@pytest.mark.parametrize("key", [k for k in PAGES if k != PUBLIC_PAGE])
def test_every_agent_page_refused(visitor: AppPage, key: str) -> None:
    visitor.open(_url_path(PAGES[key].path))
    text = _text(visitor)
    assert "configuration incomplète" in text  # OIDC without secrets: nothing but the explanation
    assert not visitor.page.locator('[data-testid="stDataFrame"], [data-testid="stTable"]').count()
    _nothing_internal(text)


@pytest.mark.parametrize(
    "address",
    [
        "/Restitution?document=99999999999999999999",
        "/Restitution?document=2147483648",
        "/Restitution?synthese=-1",
        "/Restitution?synthese=1'%20OR%20'1'='1",
        "/Restitution?qpv=" + "9" * 3000,
        "/Rencontres?rencontre=99999999999999999999",
    ],
)
def test_hostile_addresses_show_no_traceback(visitor: AppPage, address: str) -> None:
    """Issue 21 #5: in a real browser, no exception box, path or SQL; the French refusal."""
    visitor.open(address)
    text = _text(visitor)
    assert visitor.page.locator('[data-testid="stException"]').count() == 0
    for leak in ("Traceback", 'File "', ".py", "SELECT", "sqlalchemy", "psycopg", "/work/", "/root/"):
        assert leak not in text, (address, leak)
    if "document=" in address or "synthese=" in address:
        assert "Ce document n'existe pas ou n'est pas publié." in text
    _nothing_internal(text)
