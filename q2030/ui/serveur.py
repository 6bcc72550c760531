"""What the server does once at start-up, before any visitor opens a page.

`streamlit_app.py` assigns an `st.App` (Streamlit's ASGI application) with `demarrage` as its
lifespan. `streamlit run streamlit_app.py` reads the file (`ast`, without running it), finds
the assignment and serves that App with uvicorn (streamlit/web/server/app_discovery.py); the
lifespan runs once, after Streamlit's runtime started and before the server answers any
request, `/_stcore/health` included. Each page run then executes the same file as its
`__main__` script, which draws the home page and builds no App.

At start-up the database is prepared (created or migrated, as the first page run does) and
the public agenda feeds are written (`q2030.feeds`): `/app/static/agenda/<dép>.ics` answers
as soon as the server does, without waiting for someone to open a page. From the first page
run on, the pages' engine keeps them up to date after every write (`feeds.install`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from sqlmodel import Session

from q2030 import feeds
from q2030.bootstrap import prepare_database
from q2030.db import database_url, make_engine

_LOG = logging.getLogger(__name__)


def preparer() -> int:
    """Prepare the database and write every public feed; returns how many files changed.

    A failure is logged, not fatal: the server starts, the pages report the database
    themselves and their first run tries again."""
    try:
        engine = make_engine(database_url())
        try:
            prepare_database(engine)
            with Session(engine) as session:
                changed = feeds.write_feeds(session)
        finally:
            engine.dispose()
    except Exception:
        _LOG.exception("Démarrage : agendas publics (.ics) non écrits (base de données ou dossier, détail ci-dessous)")
        return 0
    _LOG.info("Démarrage : agendas publics à jour dans %s, fichiers réécrits : %d", feeds.default_dir(), changed)
    return changed


@asynccontextmanager
async def demarrage(_app: object) -> AsyncIterator[None]:
    """The App's lifespan: `preparer` off the event loop, then serve."""
    await anyio.to_thread.run_sync(preparer)
    yield
