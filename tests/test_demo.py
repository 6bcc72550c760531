"""The demo generator: counts, determinism, theme ranking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030.access import SYSTEM
from q2030.bootstrap import prepare_database
from q2030.db import make_engine, select_columns
from q2030.demo import load_demo
from q2030.errors import ValidationError
from q2030.models import Contribution, Qpv, Rencontre, RencontreQpv, SyntheseDepartementale
from tests.databases import Demo, Preparation


def _fingerprint(session: Session) -> list[tuple[Any, ...]]:
    return list(
        session.exec(
            select_columns(
                Rencontre.departement_code,
                Rencontre.statut,
                Rencontre.date,
                Rencontre.participants,
                Rencontre.perimetre,
            ).order_by(col(Rencontre.id))
        )
    )


@pytest.mark.slow  # the 1 493 real QPV: national geography
def test_demo_on_real_qpv(session: Session, qpv_2024_csv: Path) -> None:
    report = load_demo(session, actor=SYSTEM, qpv_file=qpv_2024_csv, seed=7)
    session.commit()
    assert report.qpv == 1493
    assert report.rencontres == 531
    assert session.exec(select(func.count()).select_from(Rencontre)).one() == 531
    statuts = dict(session.exec(select(Rencontre.statut, func.count()).group_by(Rencontre.statut)).all())
    assert statuts["tenue"] > 450
    assert statuts["prevue"] > 5
    assert statuts["annulee"] > 3
    perimetres = dict(session.exec(select(Rencontre.perimetre, func.count()).group_by(Rencontre.perimetre)).all())
    assert perimetres.get("epci", 0) > 0
    assert perimetres.get("commune", 0) > 0
    late = session.exec(
        select(func.count())
        .select_from(Rencontre)
        .where(Rencontre.statut == "tenue", Rencontre.date > dt.date(2023, 7, 31))
    ).one()
    assert 0 < late < statuts["tenue"] / 2
    indirect = session.exec(select(func.count()).select_from(RencontreQpv).where(RencontreQpv.direct == False)).one()  # noqa: E712
    assert indirect > 0
    # Every département with QPV has its synthesis chain row.
    deps_with_qpv = session.exec(select(func.count(func.distinct(Qpv.departement_code)))).one()
    assert session.exec(select(func.count()).select_from(SyntheseDepartementale)).one() == deps_with_qpv
    ranking = session.exec(
        select(Contribution.theme, func.count()).group_by(Contribution.theme).order_by(func.count().desc())
    ).all()
    assert [theme for theme, _ in ranking[:3]] == ["securite", "education", "logement"]


@pytest.mark.slow  # two whole demo campaigns loaded
def test_demo_is_deterministic_for_a_seed(engine: Engine, tmp_path: Path) -> None:
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    prepare_database(other)
    fingerprints = []
    for target in (engine, other):
        with Session(target) as session:
            load_demo(session, actor=SYSTEM, seed=42)
            session.commit()
            fingerprints.append(_fingerprint(session))
    other.dispose()
    assert fingerprints[0] == fingerprints[1]
    assert len(fingerprints[0]) == 531


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)  # the demo database other modules share


@pytest.mark.usefixtures("database_preparation")  # a copy of a database where the demo was loaded
def test_demo_refuses_a_database_with_rencontres(session: Session) -> None:
    with pytest.raises(ValidationError, match="déjà des rencontres"):
        load_demo(session, actor=SYSTEM, seed=1)
