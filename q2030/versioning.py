"""One versioned write: the compare-and-set every versioned entity goes through.

A row opened in a form carries the `version` it was read at. Saving it runs
`UPDATE … SET version = version + 1, … WHERE id = :id AND version = :v` and checks that
exactly one row changed: two saves from the same version cannot both pass, even when
both requests read the row before either wrote (a read-then-write check lets the second
overwrite the first). A refused save raises `ConflitDeVersion` with the entity's French
message, followed by who changed the row last and when when the audit log knows.

The new version is returned: screens store what the service returns, they never compute it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from q2030.errors import ConflitDeVersion
from q2030.formatting import fr_date
from q2030.models import AuditEvent

PARIS = ZoneInfo("Europe/Paris")


class Versionne(Protocol):
    """A table with an integer primary key `id` and an integer `version` column."""

    id: int | None
    version: int


RowT = TypeVar("RowT", bound=Versionne)
Change = tuple[str, dt.datetime]  # who (email) and when (Paris time), from the audit log
Conflit = str | Callable[[Change | None], str]


def compare_and_set(
    session: Session,
    table: type[RowT],
    *,
    row_id: int,
    version: int,
    entite: str,
    conflit: Conflit,
    values: Mapping[str, object] | None = None,
) -> int:
    """Write `values` and bump the version if the row is still at `version`; return the new version.

    `entite` is the row's entity name in the audit log (to name who changed it last);
    `conflit` the French sentence shown when the save is refused (or a function of the last
    change, for an entity whose sentence names who and when itself).
    """
    statement = (
        update(table)
        .where(col(table.id) == row_id, col(table.version) == version)
        .values({**(values or {}), "version": version + 1})
        .execution_options(synchronize_session=False)
    )
    if session.exec(statement).rowcount != 1:
        raise ConflitDeVersion(message_conflit(session, entite=entite, row_id=row_id, conflit=conflit))
    return version + 1


def check_version(session: Session, row: Versionne | None, version: int, *, entite: str, conflit: Conflit) -> None:
    """Early refusal of a form opened at another version, before validating it (no write:
    `compare_and_set` still decides). A row not created yet is at version 0."""
    if version != (row.version if row is not None else 0):
        raise ConflitDeVersion(
            message_conflit(session, entite=entite, row_id=(row.id if row else None) or 0, conflit=conflit)
        )


def message_conflit(session: Session, *, entite: str, row_id: int, conflit: Conflit) -> str:
    """`conflit`, then who changed the row last and when, if the audit log says so."""
    change = last_change(session, entite=entite, entite_id=row_id)
    if callable(conflit):
        return conflit(change)
    if change is None:
        return conflit
    who, when = change
    return f"{conflit} Dernière modification par {who} le {fr_date(when.date())} à {when:%H:%M}."


def last_change(session: Session, *, entite: str, entite_id: int) -> Change | None:
    """Who last changed the row and when (Paris time), from the audit log."""
    event = session.exec(
        select(AuditEvent.acteur, AuditEvent.horodatage)
        .where(AuditEvent.entite == entite, AuditEvent.entite_id == str(entite_id))
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    when = event[1] if event[1].tzinfo else event[1].replace(tzinfo=dt.UTC)
    return event[0], when.astimezone(PARIS)
