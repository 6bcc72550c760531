"""What the benchmark measures: a Measure (one timed read model), an Operation (what to time
and its SQL floor), the actors and the département it reads as."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from q2030.access import Actor

NATIONAL = Actor(email="bench@q2030", role="commission", nom="Banc d'essai")
DEPARTEMENT = "93"
REFERENT = Actor(email="bench.referent@q2030", role="referent", departement_code=DEPARTEMENT, region_code="11")


@dataclass
class Measure:
    database: str
    scale: str
    name: str
    app_s: float
    floor_s: float | None = None
    reference_s: float | None = None  # DuckDB, 1 thread, in memory, from the raw rows
    rows: int | None = None
    peak_mib: float | None = None
    note: str = ""
    same_as_reference: bool | None = None  # the app's figures equal DuckDB's (checked in the run)
    # CPU time of this process (`time.process_time`, median): on a loaded machine the ratio of
    # CPU times holds where elapsed times swell. The PostgreSQL server's CPU is not counted.
    app_cpu_s: float | None = None
    reference_cpu_s: float | None = None
    load_average: float | None = None  # one-minute load when the line was measured

    @property
    def ratio_reference_cpu(self) -> float | None:
        return self.app_cpu_s / self.reference_cpu_s if self.app_cpu_s and self.reference_cpu_s else None

    @property
    def ratio(self) -> float | None:
        return self.app_s / self.floor_s if self.floor_s else None

    @property
    def ratio_reference(self) -> float | None:
        return self.app_s / self.reference_s if self.reference_s else None


@dataclass
class Operation:
    name: str
    app: Callable[[Session], Any]
    floor_sql: str | None = None
    floor_params: Callable[[Session], dict[str, Any]] = field(default=lambda _s: {})
    # The floor's statement also runs in the reference engine (benchmarks.reference, DuckDB).
    reference: bool = False
    # For memory: the same work as a CLI command, run in a child process whose peak resident
    # memory is read from the kernel (tracemalloc would slow a 90 s export down tenfold).
    command: list[str] | None = None
    runs: int | None = None  # fewer runs for operations that take seconds
    scales: tuple[str, ...] | None = None  # volumes where it is measured (None: all)
    # Compares the app's result with the reference engine's rows (same figures?).
    compare: Callable[[Any, list[tuple[Any, ...]]], bool] | None = None


def median_time(function: Callable[[], Any], runs: int) -> tuple[float, Any]:
    elapsed, _cpu, result = median_times(function, runs)
    return elapsed, result


def median_times(function: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median elapsed time and median CPU time of this process (`time.process_time`), last result."""
    times, cpu_times, result = [], [], None
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = function()
        cpu_times.append(time.process_time() - cpu_started)
        times.append(time.perf_counter() - started)
    return statistics.median(times), statistics.median(cpu_times), result


def interleaved_times(
    first: Callable[[], Any], second: Callable[[], Any], runs: int
) -> tuple[tuple[float, float, Any], tuple[float, float, Any]]:
    """`median_times` of two functions run in turn (first, second, first, …) in this process: on a
    shared machine both see the same load, so their ratio holds when the load moves."""
    times: tuple[list[float], list[float]] = ([], [])
    cpu_times: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(runs):
        for index, function in enumerate((first, second)):
            started, cpu_started = time.perf_counter(), time.process_time()
            results[index] = function()
            cpu_times[index].append(time.process_time() - cpu_started)
            times[index].append(time.perf_counter() - started)
    return (
        (statistics.median(times[0]), statistics.median(cpu_times[0]), results[0]),
        (statistics.median(times[1]), statistics.median(cpu_times[1]), results[1]),
    )


def rows_of(result: Any) -> int | None:
    try:
        return len(result)
    except TypeError:
        return None


class BaseVide(SystemExit):
    """Nothing to measure: the benchmark stops with a French message instead of timing nothing."""


def refuser_base_vide(engine: Any) -> None:
    """Stop (a French message, exit status 2) when the database holds no held rencontre with contributions."""
    from sqlalchemy import text

    with engine.connect() as connection:
        count = connection.execute(
            text(
                "SELECT count(*) FROM contribution c JOIN rencontre r ON r.id = c.rencontre_id WHERE r.statut = 'tenue'"
            )
        ).scalar_one()
    if not count:
        print(
            "La base ne contient aucune contribution de rencontre tenue : rien à mesurer. Remplissez-la d'abord, "
            "par exemple : python -m q2030 demo --scale national (Q2030_DATABASE_URL désigne la base).",
            file=sys.stderr,
        )
        raise BaseVide(2)
