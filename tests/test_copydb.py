"""copy-db: a demo database moves to another engine with every row, and keeps working."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from q2030.cli import main
from q2030.copydb import copy_database
from q2030.db import make_engine
from q2030.errors import ValidationError
from q2030.models import Rencontre
from tests.databases import Demo, Preparation


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)  # the demo database other modules share, copied for the test that asks for it


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.mark.slow  # a whole database copied or migrated: the full run, not the loops
def test_copy_demo_database_to_another(engine: Engine, database_preparation: Preparation, tmp_path: Path) -> None:
    """Source: the test's copy of the demo database (SQLite, or PostgreSQL in the PG run);
    target: a new SQLite file."""
    target = make_engine(f"sqlite:///{tmp_path / 'copie.db'}")
    counts = copy_database(engine, target)
    assert counts["rencontre"] == 531
    assert _counts(target) == _counts(engine)
    with Session(target) as session, Session(engine) as source:
        first = session.exec(select(Rencontre).order_by(col(Rencontre.id))).first()
        original = source.exec(select(Rencontre).order_by(col(Rencontre.id))).first()
        assert first is not None
        assert original is not None
        assert (first.date, first.organisateurs, first.participants) == (
            original.date,
            original.organisateurs,
            original.participants,
        )
    # A second copy into a non-empty target is refused, and the target is unchanged.
    before = _counts(target)
    with pytest.raises(ValidationError, match="n'est pas vide"):
        copy_database(engine, target)
    assert _counts(target) == before
    target.dispose()


@pytest.mark.slow  # a whole database copied or migrated: the full run, not the loops
def test_cli_copy_sqlite_to_target(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    """The CLI copies a SQLite demo into the test database (PostgreSQL in the PG run), ids continue.
    The demo goes into a copy of the migrated empty database (migrating a new file is
    test_copy_demo_database_to_another's target, test_demarrage's, and the browser tests' demo)."""
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), tmp_path / "demo.db")
    source_url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("Q2030_DATABASE_URL", source_url)
    assert main(["demo", "--seed", "5"]) == 0
    summary = capsys.readouterr().out
    assert re.search(r"rencontres \(\d+ prévues, \d+ tenues, \d+ annulées\)", summary), summary  # in words
    source = make_engine(source_url)
    with Session(source) as session:
        demo_rencontres = session.exec(select(func.count()).select_from(Rencontre)).one()
    source.dispose()
    assert demo_rencontres > 500  # the demo campaign, organisers' declarations included
    assert main(["copy-db", source_url, database_url]) == 0
    target = make_engine(database_url)
    with Session(target) as session:
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == demo_rencontres
        # New rows get fresh ids after the copied ones (sequences moved on PostgreSQL).
        template = session.exec(select(Rencontre).order_by(col(Rencontre.id))).first()
        assert template is not None
        clone = Rencontre.model_validate(template.model_dump(exclude={"id"}))
        session.add(clone)
        session.commit()
        assert clone.id == demo_rencontres + 1
    target.dispose()
