"""Measure the coverage read models on a database: `python -m benchmarks.coverage [AU]`.

Uses Q2030_DATABASE_URL; prints the best of 5 runs of each function for a national actor.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from q2030 import clock
from q2030.access import Actor
from q2030.coverage import burnup, coverage_counts, qpv_status, suivi_rencontres
from q2030.db import make_engine, session_scope

NATIONAL = Actor(email="bench@q2030", role="commission")


def main() -> None:
    au = dt.date.fromisoformat(sys.argv[1]) if len(sys.argv) > 1 else clock.today()
    engine = make_engine()
    steps: dict[str, Callable[[Session], Any]] = {
        "statut des QPV (France)": lambda s: qpv_status(s, actor=NATIONAL, au=au),
        "comptes par département": lambda s: coverage_counts(s, actor=NATIONAL, au=au, niveau="departement"),
        "comptes par région": lambda s: coverage_counts(s, actor=NATIONAL, au=au, niveau="region"),
        "comptes France": lambda s: coverage_counts(s, actor=NATIONAL, au=au, niveau="national"),
        "burn-up + projection": lambda s: burnup(s, actor=NATIONAL, au=au),
        "suivi des rencontres (France)": lambda s: suivi_rencontres(s, actor=NATIONAL, au=au),
    }
    total = 0.0
    for label, step in steps.items():
        best = float("inf")
        for _ in range(5):
            with session_scope(engine) as session:
                started = time.perf_counter()
                result = step(session)
                best = min(best, time.perf_counter() - started)
        rows = len(result[0] if isinstance(result, tuple) else result)
        total += best
        print(f"{label:32s} {best * 1000:8.1f} ms  ({rows} lignes)")
    print(f"{'total page nationale':32s} {total * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
