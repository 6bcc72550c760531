"""Alembic environment: the engine comes from q2030.db (config attribute or URL)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import q2030.models  # noqa: F401  (registers the tables)
from q2030.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # A batch migration on SQLite copies the table, drops the old one and renames the copy:
        # with foreign keys on, dropping `rencontre` would cascade to its contributions, documents
        # and QPV links. The pragma only changes outside a transaction, so set it first.
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
    with engine.begin() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if violations:
                raise RuntimeError(f"migration : références cassées après la migration ({violations[:5]})")
    if sqlite:
        engine.dispose()  # pooled connections come back with the engine's own pragmas (foreign keys on)


run_migrations_online()
