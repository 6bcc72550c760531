"""Several writers at once, as Streamlit threads (one Session each, one shared engine) and
as separate processes (one engine each): no write lost, stale edits refused with a French
message, no driver error ("database is locked", serialization failure...) escapes.

Runs on SQLite (WAL, a file database) and on PostgreSQL when Q2030_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030 import apres_ecriture
from q2030.access import Actor
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import make_engine, session_scope
from q2030.errors import ConflitDeVersion
from q2030.models import AuditEvent, Contribution, Qpv, Rencontre, RencontreQpv, stored_id
from q2030.rencontres.ecriture import create_rencontre, update_rencontre
from q2030.rencontres.lecture import get_rencontre
from tests.helpers import fetch, recorded
from tests.rencontres_data import held, load_geography

# One référent per département, each on a QPV of their own département.
WRITERS = {
    "93": ("QN09301A", "11"),
    "94": ("QN09401A", "11"),
    "69": ("QN06901A", "84"),
    "13": ("QN01301A", "93"),
}
WORKERS = len(WRITERS)
PER_WRITER = 25
BARRIER_TIMEOUT = 60


def referent(departement: str, suffix: str = "") -> Actor:
    return Actor(
        email=f"referent{suffix}.{departement}@test.gouv.fr",
        role="referent",
        departement_code=departement,
        region_code=WRITERS[departement][1],
    )


@pytest.fixture
def geography(session: Session) -> None:
    load_geography(session)
    session.add(Qpv(code="QN01301A", nom="La Castellane", departement_code="13"))
    session.commit()


# --- Workers: plain module-level functions so that spawned processes can import them. ---------
# Each catches everything and returns it: an error in a worker must fail the test, not vanish.

_process_barrier: Any = None


def _init_process(barrier: Any) -> None:
    global _process_barrier
    _process_barrier = barrier


def _in_process(worker: Callable[..., Any], url: str, *job: Any) -> Any:
    """In a spawned process: its own engine from the URL, as a second app server would."""
    engine = make_engine(url)
    try:
        return worker(engine, _process_barrier, *job)
    finally:
        engine.dispose()


def _describe(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__name__}: {error}"


def log_rencontres(engine: Engine, barrier: Any, departement: str) -> tuple[list[int], list[str]]:
    """A référent logging PER_WRITER rencontres, one transaction each (one form submit)."""
    actor, (qpv, _) = referent(departement), WRITERS[departement]
    ids: list[int] = []
    errors: list[str] = []
    barrier.wait(BARRIER_TIMEOUT)
    for number in range(PER_WRITER):
        try:
            with session_scope(engine) as session:
                data = held(days_ago=1 + number, qpv_codes=[qpv], lieu=f"Salle {departement}-{number}")
                ids.append(stored_id(create_rencontre(session, actor=actor, data=data)))
        except Exception as error:  # reported to the test
            errors.append(_describe(error))
    return ids, errors


def edit_rencontre(
    engine: Engine, barrier: Any, rencontre_id: int, version: int, lieu: str, retry: bool
) -> tuple[list[str], list[str]]:
    """Save `lieu` from a form opened at `version`; with `retry`, reload and save again on conflict.

    Returns (outcomes, unexpected errors): outcomes are "ok" or the ConflitDeVersion message.
    """
    actor = referent("93", suffix=f"-{lieu}")
    outcomes: list[str] = []
    errors: list[str] = []
    barrier.wait(BARRIER_TIMEOUT)
    for _ in range(50):
        try:
            with session_scope(engine) as session:
                update_rencontre(session, actor=actor, rencontre_id=rencontre_id, version=version, data={"lieu": lieu})
            outcomes.append("ok")
            break
        except ConflitDeVersion as conflict:
            outcomes.append(str(conflict))
            if not retry:
                break
            with session_scope(engine) as session:  # the user reloads the rencontre
                version = get_rencontre(session, actor=actor, rencontre_id=rencontre_id)["version"]
        except Exception as error:  # reported to the test
            errors.append(_describe(error))
            break
    return outcomes, errors


def save_contributions(engine: Engine, barrier: Any, rencontre_id: int, rounds: int) -> list[str]:
    """The contributions table of one rencontre saved `rounds` times (each save replaces it)."""
    errors: list[str] = []
    barrier.wait(BARRIER_TIMEOUT)
    for number in range(1, rounds + 1):
        rows: list[LigneContribution] = [
            {"axe": "projets", "theme": "logement", "texte": f"Idée {k} de la saisie {number}", "rang": k}
            for k in range(1, number + 1)
        ]
        try:
            with session_scope(engine) as session:
                actor = referent(fetch(session, Rencontre, rencontre_id).departement_code)
                replace_contributions(session, actor=actor, rencontre_id=rencontre_id, rows=rows)
        except Exception as error:  # reported to the test
            errors.append(_describe(error))
    return errors


@pytest.fixture(scope="module")
def _process_pool() -> Iterator[ProcessPoolExecutor]:
    """WORKERS spawned processes, started once for the module (imports cost seconds each)."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    # Spawned children re-run the parent's __main__ file; after an AppTest that is
    # streamlit_app.py (which would open the default database). Hide it while they start.
    real_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        pool = ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_init_process, initargs=(barrier,))
        list(pool.map(abs, range(WORKERS)))  # start every worker now, with the neutral __main__
    finally:
        sys.modules["__main__"] = real_main
    with pool:
        yield pool


@pytest.fixture(params=["threads", pytest.param("processes", marks=pytest.mark.slow)])
def run_all(request: pytest.FixtureRequest, engine: Engine, database_url: str) -> Callable[..., list[Any]]:
    """`run_all(worker, jobs)`: `worker(engine, barrier, *job)` for the WORKERS jobs at once,
    in threads sharing `engine` (Streamlit) or in spawned processes (several app servers)."""
    pool = request.getfixturevalue("_process_pool") if request.param == "processes" else None

    def run(worker: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> list[Any]:
        assert len(jobs) == WORKERS  # the barrier waits for exactly WORKERS writers
        if pool is not None:
            futures = [pool.submit(_in_process, worker, database_url, *job) for job in jobs]
            return [future.result() for future in futures]
        barrier = threading.Barrier(WORKERS)
        with ThreadPoolExecutor(WORKERS) as threads:
            futures = [threads.submit(worker, engine, barrier, *job) for job in jobs]
            return [future.result() for future in futures]

    return run


def _data_version(engine: Engine) -> int:
    with Session(engine) as session:
        return apres_ecriture.data_version(session)


def _audits(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))))


# --- (1) Référents of different départements logging rencontres at the same time --------------


@pytest.mark.usefixtures("geography")
def test_referents_log_rencontres_concurrently_nothing_lost(run_all: Callable[..., list[Any]], engine: Engine) -> None:
    start = _data_version(engine)
    results = run_all(log_rencontres, [(departement,) for departement in WRITERS])

    assert [error for _, errors in results for error in errors] == []
    ids = [rid for created, _ in results for rid in created]
    total = PER_WRITER * WORKERS
    assert len(set(ids)) == total
    with Session(engine) as session:
        per_departement = dict(
            session.exec(select(Rencontre.departement_code, func.count()).group_by(Rencontre.departement_code)).all()
        )
        assert per_departement == dict.fromkeys(WRITERS, PER_WRITER)
        assert session.exec(select(func.count()).select_from(RencontreQpv)).one() == total
    created = _audits(engine, "creation")
    assert sorted(int(event.entite_id) for event in created) == sorted(ids)
    assert _data_version(engine) == start + total  # bumped exactly once per write


# --- (2) Several référents saving the same rencontre from the same version ----------------------


@pytest.mark.usefixtures("geography")
def test_same_rencontre_one_save_wins_stale_ones_refused_then_retries_land(
    run_all: Callable[..., list[Any]], engine: Engine
) -> None:
    with session_scope(engine) as session:
        rencontre = create_rencontre(session, actor=referent("93"), data=held(lieu="Salle d'origine"))
    rid, version = rencontre.id, rencontre.version
    lieux = [f"Salle {n}" for n in range(WORKERS)]
    start = _data_version(engine)

    results = run_all(edit_rencontre, [(rid, version, lieu, False) for lieu in lieux])

    assert [error for _, errors in results for error in errors] == []
    outcomes = [outcome[0] for outcome, _ in results]
    assert outcomes.count("ok") == 1
    winner = lieux[outcomes.index("ok")]
    for message in (o for o in outcomes if o != "ok"):
        assert message.startswith(f"La rencontre n° {rid} a été modifiée par referent-{winner}.93@test.gouv.fr")
        assert "Votre modification n'a pas été enregistrée" in message
    with Session(engine) as session:
        stored = fetch(session, Rencontre, rid)
        assert (stored.lieu, stored.version) == (winner, version + 1)
        links = session.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == rid)).all()
        assert sorted(links) == ["QN09301A", "QN09302A"]
    assert _data_version(engine) == start + 1
    assert [recorded(e.apres)["lieu"] for e in _audits(engine, "modification")] == [winner]

    # All save again from the form opened at the first version, still at once: each is refused,
    # reloads the rencontre and saves again, until every edit has landed, one after the other.
    lieux_bis = [f"{lieu} bis" for lieu in lieux]
    results = run_all(edit_rencontre, [(rid, version, lieu, True) for lieu in lieux_bis])

    assert [error for _, errors in results for error in errors] == []
    assert all(outcome[0] != "ok" and outcome[-1] == "ok" for outcome, _ in results)
    edits = _audits(engine, "modification")
    count = 1 + WORKERS
    assert [recorded(e.avant)["version"] for e in edits] == list(range(version, version + count))
    assert [recorded(e.apres)["version"] for e in edits] == list(range(version + 1, version + 1 + count))
    assert sorted(recorded(e.apres)["lieu"] for e in edits[1:]) == lieux_bis
    with Session(engine) as session:
        stored = fetch(session, Rencontre, rid)
        assert stored.version == version + count
        assert stored.lieu == recorded(edits[-1].apres)["lieu"]
    assert _data_version(engine) == start + count


# --- (3) Contributions saved at the same time on different rencontres ---------------------------


@pytest.mark.usefixtures("geography")
def test_contributions_replaced_concurrently_on_different_rencontres(
    run_all: Callable[..., list[Any]], engine: Engine
) -> None:
    rounds = 8
    ids = []
    with session_scope(engine) as session:
        for departement, (qpv, _) in WRITERS.items():
            ids.append(create_rencontre(session, actor=referent(departement), data=held(qpv_codes=[qpv])).id)
    start = _data_version(engine)

    results = run_all(save_contributions, [(rid, rounds) for rid in ids])

    assert [error for errors in results for error in errors] == []
    with Session(engine) as session:
        for rid in ids:
            texts = session.exec(
                select(Contribution.texte).where(Contribution.rencontre_id == rid).order_by(col(Contribution.rang))
            ).all()
            assert texts == [f"Idée {k} de la saisie {rounds}" for k in range(1, rounds + 1)]
    saves = _audits(engine, "contributions")
    assert len(saves) == rounds * WORKERS
    for rid in ids:  # each save's "before" is exactly what the previous save left
        chain = [e for e in saves if e.entite_id == str(rid)]
        assert len(chain) == rounds
        for previous, following in pairwise(chain):
            assert following.avant == previous.apres
    assert _data_version(engine) == start + rounds * WORKERS


def save_contributions_as(engine: Engine, barrier: Any, rencontre_id: int, writer: str, rounds: int) -> list[str]:
    """`writer` saving their own version of the same rencontre's contributions `rounds` times."""
    errors: list[str] = []
    barrier.wait(BARRIER_TIMEOUT)
    for number in range(rounds):
        rows: list[LigneContribution] = [
            {"axe": "projets", "theme": "sport", "texte": f"{writer} : idée {k}", "rang": k} for k in (1, 2, 3)
        ]
        try:
            with session_scope(engine) as session:
                replace_contributions(session, actor=referent("93", f"-{writer}"), rencontre_id=rencontre_id, rows=rows)
        except Exception as error:  # reported to the test
            errors.append(f"{number}: {_describe(error)}")
    return errors


@pytest.mark.usefixtures("geography")
def test_contributions_of_the_same_rencontre_saved_at_once_never_mix(
    run_all: Callable[..., list[Any]], engine: Engine
) -> None:
    rounds = 6
    with session_scope(engine) as session:
        rid = create_rencontre(session, actor=referent("93"), data=held()).id
    writers = [f"R{n}" for n in range(WORKERS)]

    results = run_all(save_contributions_as, [(rid, writer, rounds) for writer in writers])

    assert [error for errors in results for error in errors] == []
    with Session(engine) as session:
        texts = session.exec(
            select(Contribution.texte).where(Contribution.rencontre_id == rid).order_by(col(Contribution.rang))
        ).all()
    last = texts[0].split(" : ")[0]
    assert texts == [f"{last} : idée {k}" for k in (1, 2, 3)]  # one whole save, not a mix of two
    saves = _audits(engine, "contributions")
    assert len(saves) == rounds * WORKERS
    assert recorded(saves[-1].apres)["contributions"][0]["texte"] == f"{last} : idée 1"
    for previous, following in pairwise(saves):  # the trail tells what each save really replaced
        assert following.avant == previous.apres
