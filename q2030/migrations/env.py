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
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
