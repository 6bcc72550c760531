"""Start-up of the server (issue 21, item 13): the public `.ics` feeds answer as soon as
`streamlit run streamlit_app.py` does, before anyone opens a page.

The server test starts the real server (a subprocess, as an operator would) from a view of
the project whose static/ folder is empty, over a database where a rencontre was written by
a process that never wrote the feeds; it fetches the feed over HTTP with nothing else open
(no page, no websocket session). On a server that writes the feeds only at its first page
run, the address answers 404.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from q2030.access import Actor
from q2030.db import session_scope
from q2030.rencontres.ecriture import create_rencontre
from q2030.ui import serveur
from tests import factories
from tests.browser_support import get, project_view, start_app

REFERENT = Actor(email="agent.interne@seine-saint-denis.gouv.fr", role="referent", departement_code="93")
MARKER = "NOTE-INTERNE-DEMARRAGE"
LIEU = "Maison de quartier du démarrage"


def _planned_rencontre(engine: Engine) -> int:
    """A planned rencontre in the 93, written without the feeds installed (as another process would)."""
    with session_scope(engine) as session:
        factories.qpv(session, "QN09301A", "93", nom="Cité des Fleurs")
        created = create_rencontre(
            session,
            actor=REFERENT,
            data={
                "departement_code": "93",
                "statut": "prevue",
                "date": dt.date.today() + dt.timedelta(days=20),
                "heure_debut": dt.time(18, 0),
                "lieu": LIEU,
                "perimetre": "quartier",
                "qpv_codes": ["QN09301A"],
                "notes": MARKER,
            },
        )
        assert created.id is not None
        return created.id


@pytest.mark.slow
def test_feeds_answer_as_soon_as_the_server_does(engine: Engine, database_url: str, tmp_path: Path) -> None:
    rencontre_id = _planned_rencontre(engine)
    root = project_view(tmp_path / "projet")
    agenda = root / "static" / "agenda"
    assert not agenda.exists()  # nothing wrote a feed before start-up

    server = start_app(database_url, tmp_path, auth="oidc", root=root)
    try:
        # Only /_stcore/health was asked so far: no page, no session.
        status, content_type, body = get(f"{server.url}/app/static/agenda/93.ics")
        assert status == 200
        assert content_type.startswith("text/calendar")
        assert body.startswith("BEGIN:VCALENDAR")
        assert f"UID:rencontre-{rencontre_id}@quartiers2030" in body
        assert LIEU in body.replace("\r\n ", "")
        assert MARKER not in body
        assert REFERENT.email not in body
        assert get(f"{server.url}/app/static/agenda/2A.ics")[0] == 200  # every département
        assert len(list(agenda.glob("*.ics"))) == 101
        # The same server still runs the pages: the home page's shell is served.
        assert get(f"{server.url}/")[0] == 200
    finally:
        server.stop()
    assert "Traceback" not in server.log_tail(20_000)


def test_start_up_prepares_a_new_database_and_writes_every_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lifespan's work on a database that does not exist yet: created, migrated, 101 feeds."""
    monkeypatch.setenv("Q2030_DATABASE_URL", f"sqlite:///{tmp_path / 'neuve.db'}")
    monkeypatch.setenv("Q2030_AGENDA_DIR", str(tmp_path / "agenda"))
    assert serveur.preparer() == 101
    assert (tmp_path / "agenda" / "93.ics").read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")
    assert serveur.preparer() == 0  # unchanged files are not rewritten


def test_start_up_with_an_unreachable_database_logs_and_lets_the_server_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("Q2030_DATABASE_URL", "postgresql+psycopg://personne@127.0.0.1:1/aucune?connect_timeout=2")
    monkeypatch.setenv("Q2030_AGENDA_DIR", str(tmp_path / "agenda"))
    with caplog.at_level(logging.ERROR, logger="q2030.ui.serveur"):
        assert serveur.preparer() == 0
    assert "agendas publics (.ics) non écrits" in caplog.text
    assert not (tmp_path / "agenda").exists()


def test_a_command_line_import_rewrites_the_feed_it_changes(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`import-rencontres` (a process of its own, which installs the feeds for its engine):
    the place changed in the workbook is in the département's feed when the command ends."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from q2030.cli import main
    from q2030.excel.columns import RENCONTRE_COLUMNS

    rencontre_id = _planned_rencontre(engine)
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    monkeypatch.setenv("Q2030_AGENDA_DIR", str(tmp_path / "agenda"))
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(tmp_path / "depot"))
    workbook = tmp_path / "modele-93.xlsx"
    assert main(["export-modele", "--departement", "93", str(workbook)]) == 0
    feed = tmp_path / "agenda" / "93.ics"
    assert LIEU in feed.read_text(encoding="utf-8").replace("\r\n ", "")  # every command writes them

    book = load_workbook(workbook)
    sheet = book["Rencontres"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value == rencontre_id)
    lieu = get_column_letter(next(i for i, c in enumerate(RENCONTRE_COLUMNS, start=1) if c.header == "Lieu"))
    sheet[f"{lieu}{row}"] = "Gymnase importé par la ligne de commande"
    book.save(workbook)
    assert main(["import-rencontres", "--departement", "93", str(workbook)]) == 0

    text = feed.read_text(encoding="utf-8").replace("\r\n ", "")
    assert "Gymnase importé par la ligne de commande" in text
    assert LIEU not in text
