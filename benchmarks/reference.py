"""The reference engine: DuckDB (1 thread, in memory) computing the same figures from the raw rows.

The "SQL floor" of the benchmark is the application's own database running a hand-written
statement: it says what the service layer costs, not what is possible. The honest
reference for an aggregate is an analytical engine over the same rows, in the same run:
the rows the rankings and the coverage read (rencontres, contributions without their
texts, QPV and their links, départements) are copied into an in-memory DuckDB limited to
one thread (the app answers a page with one core), then each reference statement is timed
like the app. Copying is not timed.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from q2030.models import Contribution, Departement, Qpv, Rencontre, RencontreQpv

# Only the columns the reference statements read (the folded text for the search).
_TABLES: dict[str, tuple[Any, list[str]]] = {
    "contribution": (Contribution, ["id", "rencontre_id", "axe", "theme", "rang", "public", "texte_norm"]),
    "rencontre": (Rencontre, ["id", "campaign_id", "departement_code", "statut", "validation", "date", "format"]),
    "departement": (Departement, ["code", "nom", "region_code"]),
    "qpv": (Qpv, ["code", "nom", "communes_label", "departement_code", "geographie"]),
    "rencontreqpv": (RencontreQpv, ["rencontre_id", "qpv_code", "direct"]),
}


def load(engine: Engine) -> Any:
    """An in-memory DuckDB (1 thread) holding the raw rows of `engine`'s database."""
    import duckdb

    connection = duckdb.connect(":memory:", config={"threads": 1})
    with engine.connect() as source:
        for name, (model, columns) in _TABLES.items():
            table = model.__table__
            rows = source.execute(select(*(table.c[c] for c in columns))).all()
            frame = pd.DataFrame(rows, columns=columns)
            if name == "rencontre":
                frame["date"] = pd.to_datetime(frame["date"]).dt.date
            connection.register("incoming", frame)
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
            connection.unregister("incoming")
    return connection


def duckdb_sql(sql: str) -> str:
    """The floor's SQL with DuckDB's named parameters ($name instead of :name)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"$\1", sql)


def run(connection: Any, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    used = {name: value for name, value in params.items() if re.search(rf"\${name}\b", sql)}
    rows: list[tuple[Any, ...]] = connection.execute(sql, used).fetchall()  # a DuckDB connection
    return rows
