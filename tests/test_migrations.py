"""Alembic owns the schema: up from empty, idempotent, and in step with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from q2030.bootstrap import prepare_database
from q2030.db import current_revision, upgrade


def test_upgrade_from_empty_is_idempotent_and_matches_models(engine: Engine) -> None:
    # The fixture database was migrated from empty; upgrading again changes nothing.
    upgrade(engine)
    prepare_database(engine)
    assert current_revision(engine) is not None
    tables = set(inspect(engine).get_table_names())
    assert {"qpv", "rencontre", "contribution", "auditevent", "app_user", "alembic_version"} <= tables
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], differences
