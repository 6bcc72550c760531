"""Duplicate check + insert are atomic (issue #11, case 4), between separate processes.

Main let 8 simultaneous creations of the same meeting store 3 rencontres (SQLite) or 8
(PostgreSQL), and two simultaneous imports of the same file create its new rows twice.
Each worker is a spawned process with its own engine, as a second app server would be.
"""

from __future__ import annotations

import io
import multiprocessing
import sys
import types
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from q2030.db import make_engine, session_scope
from q2030.excel.importer import ImportRefuse, import_workbook
from q2030.excel.template import build_template
from q2030.models import Contribution, Rencontre
from q2030.rencontres.doublons import DoublonProbable
from q2030.rencontres.ecriture import create_rencontre
from tests.rencontres_data import REFERENT_93, REFERENT_93_BIS, held, load_geography

pytestmark = pytest.mark.slow

WORKERS = 8
BARRIER_TIMEOUT = 120
_barriers: dict[int, Any] = {}


def _init(barriers: dict[int, Any]) -> None:
    _barriers.update(barriers)


def _describe(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__name__}: {error}"


def create_same_meeting(url: str, number: int) -> str:
    """One référent's form submit of the meeting everyone is logging: "ok", "doublon" or the error."""
    engine = make_engine(url)
    try:
        actor = REFERENT_93 if number % 2 else REFERENT_93_BIS
        _barriers[WORKERS].wait(BARRIER_TIMEOUT)
        with session_scope(engine) as session:
            create_rencontre(session, actor=actor, data=held(lieu=f"Salle saisie par {number}"))
        return "ok"
    except DoublonProbable:
        return "doublon"
    except Exception as error:  # reported to the test
        return _describe(error)
    finally:
        engine.dispose()


def import_file(url: str, content: bytes) -> tuple[int, int] | str:
    """One import of the file: (created, unchanged), or the error."""
    engine = make_engine(url)
    try:
        _barriers[2].wait(BARRIER_TIMEOUT)
        with session_scope(engine) as session:
            report = import_workbook(session, actor=REFERENT_93, departement_code="93", content=content)
        return report.created, report.unchanged
    except ImportRefuse as refused:
        return "\n".join(refused.report.lines())
    except Exception as error:  # reported to the test
        return _describe(error)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    context = multiprocessing.get_context("spawn")
    barriers = {WORKERS: context.Barrier(WORKERS), 2: context.Barrier(2)}
    # Spawned children re-run the parent's __main__ (streamlit_app.py after an AppTest): hide it.
    real_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        executor = ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_init, initargs=(barriers,))
        list(executor.map(abs, range(WORKERS)))  # start every worker now, with the neutral __main__
    finally:
        sys.modules["__main__"] = real_main
    with executor:
        yield executor


@pytest.fixture
def geography(engine: Engine) -> None:
    with Session(engine) as session:
        load_geography(session)


@pytest.mark.usefixtures("geography")
def test_eight_simultaneous_creations_of_the_same_meeting_give_one_rencontre(
    pool: ProcessPoolExecutor, engine: Engine, database_url: str
) -> None:
    outcomes = [f.result() for f in [pool.submit(create_same_meeting, database_url, n) for n in range(WORKERS)]]
    assert sorted(outcomes) == ["doublon"] * (WORKERS - 1) + ["ok"], outcomes
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == 1


@pytest.mark.usefixtures("geography")
def test_two_simultaneous_imports_of_the_same_file_create_each_row_once(
    pool: ProcessPoolExecutor, engine: Engine, database_url: str
) -> None:
    with session_scope(engine) as session:
        wb = load_workbook(io.BytesIO(build_template(session, actor=REFERENT_93, departement_code="93")))
    ws, wc = wb["Rencontres"], wb["Contributions"]
    headers = [c.value for c in ws[1]]
    rows: list[dict[str, object]] = [
        {"Identifiant": "R1", "Statut": "Tenue", "Date": "12/06/2023", "Périmètre": "Quartier(s)", "QPV": "QN09301A",
         "Lieu": "Centre social", "Participants": 30},
        {"Identifiant": "R2", "Statut": "Annulée", "Date": "13/06/2023", "Périmètre": "Quartier(s)", "QPV": "QN09302A",
         "Motif d'annulation": "Pluie"},
        {"Identifiant": "R3", "Statut": "Prévue", "Date": "15/09/2099", "Périmètre": "Commune",
         "Commune (code INSEE)": "93005", "Lieu": "Mairie"},
    ]  # fmt: skip
    for record in rows:
        ws.append([record.get(h) for h in headers])
    wc.append(["R1", "1", "Emploi", "Des stages", 1, "Jeunes"])
    buffer = io.BytesIO()
    wb.save(buffer)

    outcomes = [f.result() for f in [pool.submit(import_file, database_url, buffer.getvalue()) for _ in range(2)]]
    assert sorted(outcomes) == [(0, 3), (3, 0)], outcomes  # one created them, the other found them
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == 3
        assert session.exec(select(func.count()).select_from(Contribution)).one() == 1
