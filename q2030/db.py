"""Engine and schema: `Q2030_DATABASE_URL`, default the embedded SQLite file.

The schema is owned by Alembic (q2030/migrations): `upgrade()` brings any database to
head; nothing in production paths calls `create_all`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, ExecutionContext
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine
from sqlmodel.sql.expression import Select

if TYPE_CHECKING:
    from alembic.config import Config

from q2030.control_chars import clean_json, clean_parameters
from q2030.frontieres import LigneSql, ValeurSql

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'q2030.db'}"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    return os.environ.get("Q2030_DATABASE_URL") or DEFAULT_DATABASE_URL


def make_engine(url: str | None = None) -> Engine:
    """The engine; every text it writes is cleaned of what no document format can hold.

    This is the one place every write passes (ORM flushes, bulk inserts, raw SQL): each
    string parameter and each JSON value loses the control characters XML refuses
    (`q2030.control_chars`), so a form feed pasted from a PDF never reaches a document.
    """
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=clean_json
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, json_serializer=clean_json)
    event.listen(engine, "before_cursor_execute", _clean_parameters, retval=True)
    return engine


def _clean_parameters(
    _conn: Connection,
    _cursor: DBAPICursor,
    statement: str,
    parameters: ValeurSql,  # the DBAPI's parameters: a tuple, a dict or a list of them
    _context: ExecutionContext | None,
    _executemany: bool,
) -> tuple[str, ValeurSql]:
    return statement, clean_parameters(parameters)


def select_columns(*columns: ValeurSql) -> Select[*LigneSql]:
    """`sqlmodel.select` of five columns or more (its overloads are typed for four at most)."""
    return Select(*columns)


# Every SQLite connection, in this one place (`make_engine`): WAL, foreign keys, a busy timeout,
# and the file read through a memory map (mmap_size: address space, not memory; pages shared
# with the OS cache by every connection and process). Measured on the national demo: the text
# search, which reads ~20,000 contributions by key, 8 to 10 % less CPU than through the default
# page cache (2 MiB per connection; a 128 MiB cache gave the same, but per connection).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA mmap_size={1 << 30}",
)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def analyser(connection: Connection, tables: Sequence[str] = ()) -> None:
    """Fresh planner statistics after a bulk write (`tables`, or the whole database).

    SQLite keeps none until `ANALYZE` runs (no `sqlite_stat1`: the planner guesses every
    index's selectivity); PostgreSQL's autovacuum gets there eventually, after the first
    queries. Called at the end of the bulk builds (demo, copy, read-model rebuild) and of
    the large imports, in their transaction."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE " + ", ".join(tables))
    elif tables:
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {table}")
    else:
        connection.exec_driver_sql("ANALYZE")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
