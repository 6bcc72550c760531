"""A reference typed in an Excel file (R1) never reaches a meeting another file created (issue 21, item 1).

File A creates R1 (15/06, 3 contributions). Weeks later a new file (a fresh template, or a
blank copy of the old one) calls another meeting R1 (20/07, another quartier, 1 contribution).
Main answered « créées : 0, mises à jour : 1 » and the June meeting took July's date,
quartier and place, its 3 contributions replaced.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from q2030.models import Contribution, Rencontre, RencontreQpv
from tests.databases import Demo, Preparation
from tests.test_excel_confiance import DEP, _edit, _import, _refused, _state, _template


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 11), loaded once per run."""
    return engine


def _qpvs(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(RencontreQpv.qpv_code).join(Rencontre).where(Rencontre.departement_code == DEP).distinct()
            ).all()
        )[:2]


def _add(reference: str, day: str, qpv: str, lieu: str, texts: list[str]):
    def edit(ws: Any, wc: Any) -> None:
        headers = [c.value for c in ws[1]]
        record = {"Identifiant": reference, "Statut": "Tenue", "Date": day, "Périmètre": "Quartier(s)", "QPV": qpv,
                  "Lieu": lieu, "Participants": 15}  # fmt: skip
        ws.append([record.get(h) for h in headers])
        for rank, text in enumerate(texts, start=1):
            wc.append([reference, "1", "Emploi", text, rank, "Tous"])

    return edit


def _june(engine: Engine) -> tuple[Any, ...]:
    with Session(engine) as s:
        june = s.exec(select(Rencontre).where(Rencontre.reference_import == "r1")).one()
        texts = s.exec(select(Contribution.texte).where(Contribution.rencontre_id == june.id)).all()
        qpvs = s.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == june.id)).all()
        return june.id, june.date.isoformat(), june.lieu, sorted(qpvs), sorted(texts)


def test_a_reference_reused_weeks_later_never_rewrites_the_earlier_meeting(demo: Engine) -> None:
    first_qpv, other_qpv = _qpvs(demo)
    blank = _template(demo)
    file_a = _edit(blank, _add("R1", "15/06/2023", first_qpv, "Salle de juin", ["Juin 1", "Juin 2", "Juin 3"]))
    assert _import(demo, file_a).created == 1
    june = _june(demo)
    assert june[1:] == ("2023-06-15", "Salle de juin", [first_qpv], ["Juin 1", "Juin 2", "Juin 3"])
    # Re-importing file A is still idempotent (the same row finds its meeting again).
    before = _state(demo)
    again = _import(demo, file_a)
    assert (again.created, again.updated, again.contributions_replaced) == (0, 0, 0)
    assert _state(demo) == before

    july = _add("R1", "20/07/2023", other_qpv, "Salle de juillet", ["Juillet"])
    for later in (_edit(_template(demo), july), _edit(blank, july)):  # a fresh template, a blank old copy
        (issue,) = _refused(demo, later)
        assert issue.column == "Identifiant"
        assert issue.message.startswith(f"R1 a déjà servi le {_created(demo)} pour la rencontre n° {june[0]}")
        assert _june(demo) == june

    # Another reference is a new meeting; June's stays as it was.
    report = _import(demo, _edit(_template(demo), _add("R2", "20/07/2023", other_qpv, "Salle de juillet", ["J"])))
    assert (report.created, report.updated) == (1, 0)
    assert _june(demo) == june


def _created(engine: Engine) -> str:
    with Session(engine) as s:
        return f"{s.exec(select(Rencontre).where(Rencontre.reference_import == 'r1')).one().cree_le:%d/%m/%Y}"
