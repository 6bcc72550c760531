"""The demo campaign tells the public story: security first, then education, then housing."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from q2030 import priorities as p
from q2030.access import SYSTEM
from tests.databases import Demo, Preparation


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=2023)  # the default seed of `python -m q2030 demo`


@pytest.mark.usefixtures("database_preparation")  # each run on its own copy of the demo database
@pytest.mark.parametrize("ponderation", list(p.PONDERATIONS))
def test_demo_ranking_security_education_housing(session: Session, ponderation: str) -> None:
    df = p.classement(session, actor=SYSTEM, filtres=p.Filtres(), groupe="aucun", ponderation=ponderation)
    assert df["theme"].tolist()[:3] == ["securite", "education", "logement"]
    per_axis = p.classement(session, actor=SYSTEM, filtres=p.Filtres(), ponderation=ponderation)
    assert set(per_axis[per_axis["rang"] == 1]["theme"]) == {"securite"}
