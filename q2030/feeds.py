"""Public agenda feeds: one stable iCalendar file per département a calendar app subscribes to.

Streamlit serves no raw file at a URL of our choosing, except through its static file
serving (`server.enableStaticServing`, `.streamlit/config.toml`): every file under
`static/` next to `streamlit_app.py` is served at `/app/static/<path>`, with a content
type from its extension (`text/calendar` for `.ics`), `nosniff`, outside the websocket and
without a session, so a calendar app can poll it. The feeds are written there as
`static/agenda/<département>.ics` (git-ignored):

- by every write of a rencontre, the campaign or the QPV, in a process that installed the
  feeds (`install(engine)`: the app does): the transaction's after-write step
  (`q2030.apres_ecriture`) rewrites the files before its commit, so the feed never lags
  behind the database (72 ms for the 101 files of the 531-rencontre demo);
- at start-up of the server, before it answers any request (the lifespan of the `st.App`
  in streamlit_app.py, `q2030.ui.serveur`), by every command line (imports included), and
  with `python -m q2030 agendas`, for a database changed elsewhere.

A file is replaced atomically (`os.replace`), and only when its content changed. It holds
every rencontre of the active campaign in the département (planned, held, and cancelled as
STATUS:CANCELLED): its URL and its events' UID never change, so an update replaces the
event in the subscriber's calendar. Only public fields (see `agenda.calendar`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import weakref
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from q2030 import agenda
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.db import PROJECT_ROOT
from q2030.frontieres import ValeurSql
from q2030.models import Rencontre
from q2030.referentiel import DEPARTEMENTS

_LOG = logging.getLogger(__name__)
# Audited entities whose writes can change a calendar: rencontres, the campaign (and the demo
# load, audited as one), the QPV names.
AGENDA_ENTITIES = frozenset({"rencontre", "campagne", "qpv"})
URL_PATH = "app/static/agenda"
_installed: weakref.WeakKeyDictionary[Engine, Path] = weakref.WeakKeyDictionary()


def default_dir() -> Path:
    """Where Streamlit's static serving looks: static/ beside streamlit_app.py."""
    return Path(os.environ.get("Q2030_AGENDA_DIR") or PROJECT_ROOT / "static" / "agenda")


def url_path(departement_code: str) -> str:
    return f"{URL_PATH}/{departement_code}.ics"


def feeds(session: Session, departement_code: str | None = None) -> dict[str, bytes]:
    """Each département's calendar (every one, or one): all rencontres of the active
    campaign, in date order. One query for the whole country."""
    campaign = active_campaign(session)
    query = agenda.public_query().where(col(Rencontre.campaign_id) == campaign.id, compte())
    if departement_code:
        query = query.where(col(Rencontre.departement_code) == departement_code)
    query = query.order_by(
        col(Rencontre.departement_code), col(Rencontre.date), col(Rencontre.heure_debut), col(Rencontre.id)
    )
    by_dep: dict[str, list[dict[str, ValeurSql]]] = {}
    for r in session.exec(query):
        row = dict(zip(agenda.AGENDA_COLUMNS, r, strict=True))
        by_dep.setdefault(row["departement_code"], []).append(row)
    codes = [departement_code] if departement_code else list(DEPARTEMENTS)
    return {
        code: agenda.calendar(
            by_dep.get(code, []), name=f"Rencontres Quartiers 2030 – {DEPARTEMENTS[code][0]} ({code})"
        )
        for code in codes
        if code in DEPARTEMENTS
    }


def feed(session: Session, *, departement_code: str) -> bytes:
    return feeds(session, departement_code)[departement_code]


def write_feeds(session: Session, folder: Path | None = None) -> int:
    """Write (or refresh) the feed of every département; returns how many files changed."""
    folder = folder or default_dir()
    folder.mkdir(parents=True, exist_ok=True)
    changed = 0
    for code, content in feeds(session).items():
        target = folder / f"{code}.ics"
        if target.exists() and target.read_bytes() == content:
            continue
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".agenda-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, target)
        changed += 1
    return changed


def install(engine: Engine, folder: Path | None = None) -> Path:
    """Keep this engine's feeds in `folder` up to date after every audited commit."""
    target = folder or default_dir()
    _installed[engine] = target
    with Session(engine) as session:
        write_feeds(session, target)
    return target


def installed_folder(engine: Engine) -> Path | None:
    """Where this engine's feeds are kept up to date, if `install` was called for it."""
    return _installed.get(engine)
