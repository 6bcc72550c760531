"""The one after-write step of a transaction: what derives from the raw rows, brought up to date
before the commit, in one place.

Every write is audited (`audit.record`), and recording an event notes here what the
transaction wrote (`noter`): the entities, and the rencontres among them. Just before the
transaction commits (SQLAlchemy's `before_commit`, whoever commits: `session_scope`, a test,
the CLI), `terminer` runs once:

1. the priorities read model (`q2030.cube`) is refreshed for the rencontres written;
2. the data version that keys the UI read caches is bumped, once per transaction, so a
   cached table is read again in this process and in any other sharing the database;
3. the public agenda feeds (`q2030.feeds`) are rewritten when a rencontre, the campaign or
   the QPV changed, if this engine serves them (`feeds.install`).

All three run in the writing transaction: they see its rows, they commit with it and roll
back with it (a feed file is the exception: a commit failing after it was written leaves it
ahead until the next write or start-up rewrites it). A bulk write (the Excel import) gets
one refresh and one bump for the whole file. A rolled-back transaction leaves nothing noted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col

from q2030 import cube, feeds
from q2030.models import AppState

_LOG = logging.getLogger(__name__)
_CLE = "q2030_ecritures"  # session.info: this module's Ecritures, and nothing else reads it


@dataclass
class Ecritures:
    """What the current transaction wrote, by audited entity."""

    entites: set[str] = field(default_factory=set)
    rencontres: set[int] = field(default_factory=set)


def noter(session: Session, *, entite: str, entite_id: str | int | None = "") -> None:
    """Record that this transaction wrote `entite` (`audit.record` calls it for every write)."""
    ecrites: Ecritures = session.info.setdefault(_CLE, Ecritures())
    ecrites.entites.add(entite)
    if entite == "rencontre" and str(entite_id).isdigit():
        ecrites.rencontres.add(int(str(entite_id)))


def a_ecrit(session: OrmSession) -> bool:
    """Whether this transaction wrote something not committed yet (noted, or pending in the session)."""
    ecrites: Ecritures | None = session.info.get(_CLE)
    return bool(ecrites and ecrites.entites) or bool(session.new or session.dirty or session.deleted)


def terminer(session: OrmSession) -> None:
    """The after-write step: read model, data version, public feeds; then nothing is noted."""
    ecrites: Ecritures | None = session.info.pop(_CLE, None)
    if ecrites is None or not ecrites.entites or not isinstance(session, Session):
        return  # (only `noter`, given a q2030 Session, fills it)
    cube.actualiser(session, ecrites.rencontres)
    bump_data_version(session)
    if ecrites.entites & feeds.AGENDA_ENTITIES:
        _write_feeds(session)


def bump_data_version(session: Session) -> None:
    """A new data version: every cached read is read again (also for writes outside the audit)."""
    session.exec(update(AppState).where(col(AppState.id) == 1).values(data_version=col(AppState.data_version) + 1))


def data_version(session: Session) -> int:
    """The current data version (UI caches key on it)."""
    state = session.get(AppState, 1)
    return state.data_version if state else 0


def _write_feeds(session: Session) -> None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    folder = feeds.installed_folder(engine) if engine is not None else None
    if folder is None:
        return
    try:
        feeds.write_feeds(session, folder)
    except Exception:  # a feed failure must not undo or hide the write
        _LOG.exception("Agenda public : les fichiers .ics n'ont pas pu être régénérés")


@event.listens_for(OrmSession, "before_commit")
def _avant_commit(session: OrmSession) -> None:
    if not session.in_nested_transaction():  # a savepoint's release is not the commit
        terminer(session)


@event.listens_for(OrmSession, "after_soft_rollback")
def _apres_annulation(session: OrmSession, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction: what it noted is gone
        session.info.pop(_CLE, None)
