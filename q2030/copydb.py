"""Copy every table of one database into another (SQLite demo -> PostgreSQL, or back).

The target is migrated to head first and must hold no user data; rows are copied in
foreign-key order by chunks, in one transaction, then PostgreSQL sequences are moved
past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from q2030.bootstrap import prepare_database
from q2030.db import analyser
from q2030.errors import ValidationError

CHUNK = 5_000
# Filled by prepare_database on any new database: replaced by the source's rows.
REFERENCE_TABLES = ("appstate", "campaign", "departement", "region")


def copy_database(
    source: Engine, target: Engine, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy all rows; return the row count per table."""
    prepare_database(source)
    prepare_database(target)
    tables = SQLModel.metadata.sorted_tables
    with target.connect() as connection:
        busy = [
            t.name
            for t in tables
            if t.name not in REFERENCE_TABLES and connection.execute(select(func.count()).select_from(t)).scalar_one()
        ]
    if busy:
        raise ValidationError(f"La base cible n'est pas vide (tables : {', '.join(busy)}) : copie refusée.")
    counts: dict[str, int] = {}
    with source.connect() as reader, target.begin() as writer:
        for table in reversed(tables):
            if table.name in REFERENCE_TABLES:
                writer.execute(table.delete())
        for table in tables:
            copied = 0
            result = reader.execution_options(yield_per=CHUNK).execute(select(table))
            for chunk in result.mappings().partitions(CHUNK):
                writer.execute(insert(table), [dict(row) for row in chunk])
                copied += len(chunk)
            counts[table.name] = copied
            if progress:
                progress(table.name, copied)
        if target.dialect.name == "postgresql":
            # Rows came with their ids: move each id sequence past the largest one.
            for table in tables:
                if [c.name for c in table.primary_key.columns] == ["id"] and table.name != "appstate":
                    writer.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
        analyser(writer)  # a database filled in one go: the planner's statistics of every table
    return counts
