"""Audit trail: one AuditEvent per write, in the writer's transaction.

Recording an event also bumps the data version that keys the UI read caches, so any
audited write invalidates them, in this process and in any other sharing the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col

from q2030.access import Actor
from q2030.models import AppState, AuditEvent


def snapshot(record: SQLModel | None, exclude: set[str] | None = None) -> dict[str, Any] | None:
    """JSON-safe dict of a record's columns (dates as ISO strings), in the model's field order.

    Not `model_dump()`: on a row reloaded after a commit, SQLAlchemy refills `__dict__` in
    set order (varies between processes) and an expired row dumps as {}. Reading each
    declared field loads it and gives the same key order everywhere."""
    if record is None:
        return None
    skip = exclude or set()
    out: dict[str, Any] = {}
    for key in type(record).model_fields:
        if key in skip:
            continue
        value = getattr(record, key)
        if isinstance(value, (dt.date, dt.time, dt.datetime)):
            value = value.isoformat()
        out[key] = value
    return out


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entite: str,
    entite_id: str | int = "",
    avant: dict[str, Any] | None = None,
    apres: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        acteur=actor.email,
        action=action,
        entite=entite,
        entite_id=str(entite_id),
        avant=avant,
        apres=apres,
    )
    session.add(event)
    if _UNE_VERSION in session.info:
        session.info[_UNE_VERSION] = True  # bumped once when `une_version` ends
    else:
        bump_data_version(session)
    # What was written, by entity: q2030.feeds refreshes the public agenda after the commit.
    written: set[str] = session.info.setdefault("q2030_written", set())
    written.add(entite)
    return event


_UNE_VERSION = "q2030_une_version"


@contextmanager
def une_version(session: Session) -> Iterator[None]:
    """Bulk writes (the Excel import): every audited write inside bumps the data version once,
    at the end of the block, instead of one single-row UPDATE per write."""
    if _UNE_VERSION in session.info:  # nested: the outer block bumps
        yield
        return
    session.info[_UNE_VERSION] = False
    try:
        yield
    finally:
        written = session.info.pop(_UNE_VERSION)
    if written:
        bump_data_version(session)


def bump_data_version(session: Session) -> None:
    session.exec(update(AppState).where(col(AppState.id) == 1).values(data_version=col(AppState.data_version) + 1))


def data_version(session: Session) -> int:
    state = session.get(AppState, 1)
    return state.data_version if state else 0
