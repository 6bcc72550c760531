"""The demo campaign tells the public story: security first, then education, then housing."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from q2030 import priorities as p
from q2030.access import SYSTEM
from q2030.demo import load_demo


@pytest.mark.parametrize("ponderation", list(p.PONDERATIONS))
def test_demo_ranking_security_education_housing(session: Session, ponderation: str) -> None:
    load_demo(session, actor=SYSTEM, seed=2023)
    session.commit()
    df = p.classement(session, actor=SYSTEM, filtres=p.Filtres(), groupe="aucun", ponderation=ponderation)
    assert df["theme"].tolist()[:3] == ["securite", "education", "logement"]
    per_axis = p.classement(session, actor=SYSTEM, filtres=p.Filtres(), ponderation=ponderation)
    assert set(per_axis[per_axis["rang"] == 1]["theme"]) == {"securite"}
