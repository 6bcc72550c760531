"""Time the priorities' read models on a database (not a test: run it by hand).

    Q2030_DATABASE_URL=sqlite:////tmp/p.db python -m q2030 demo \
        --qpv ../shared/data/qpv2024/qpv2024.csv --scale national
    Q2030_DATABASE_URL=sqlite:////tmp/p.db python -m benchmarks.priorities

Each line is what one change of filter costs the page's open tab (best of 3, cold caches
of Streamlit: the service is called directly).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from functools import partial

from sqlmodel import Session

from q2030 import priorities as p
from q2030.access import Actor
from q2030.bootstrap import prepare_database
from q2030.db import make_engine, session_scope

COMMISSION = Actor(email="commission@demo.gouv.fr", role="commission")


def _best(fn: Callable[[], object]) -> float:
    """Best of 3, in ms of CPU time of this process (SQLite runs in-process): wall-clock
    time on a shared machine mostly measures the other processes. Set BENCH_WALL=1 for it."""
    clock = time.perf_counter if os.environ.get("BENCH_WALL") else time.process_time
    times = []
    for _ in range(3):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times) * 1000


def _compter_et_lister(s: Session, f: p.Filtres) -> tuple[object, object]:
    return p.compter_contributions(s, actor=COMMISSION, filtres=f), p.contributions(s, actor=COMMISSION, filtres=f)


def main() -> None:
    engine = make_engine()
    prepare_database(engine)  # applies the index migration if needed
    cases = {
        "France entière": p.Filtres(),
        "région 11": p.Filtres(region="11"),
        "département 93": p.Filtres(departement="93"),
        "axe solutions": p.Filtres(axe="solutions"),
        "thème sécurité": p.Filtres(theme="securite"),
        "période juillet": p.Filtres(debut=dt.date(2023, 7, 1)),
        "format atelier + jeunes": p.Filtres(format="atelier", public="jeunes"),
    }
    with session_scope(engine) as s:
        print(f"{'vue':28} {'classement':>11} {'par axe':>9} {'régions':>9} {'contrib.':>9} {'mots':>7}")
        for label, f in cases.items():
            row = [
                _best(partial(p.classement, s, actor=COMMISSION, filtres=f, groupe="aucun")),
                _best(partial(p.classement, s, actor=COMMISSION, filtres=f, groupe="axe")),
                _best(partial(p.classement, s, actor=COMMISSION, filtres=f, groupe="region")),
                _best(partial(_compter_et_lister, s, f)),
                _best(partial(p.mots_frequents, s, actor=COMMISSION, filtres=f)),
            ]
            print(f"{label:28} " + " ".join(f"{v:9.0f}ms" for v in row))
        national, logement = p.Filtres(), p.Filtres(theme="logement")
        extra = {
            "comparaison 93 / France": lambda: p.comparaison(s, actor=COMMISSION, filtres=p.Filtres(departement="93")),
            "recherche « securite »": lambda: p.recherche_par_theme(
                s, actor=COMMISSION, filtres=national, texte="securite"
            ),
            "terme « logements »": lambda: p.contributions_du_terme(
                s, actor=COMMISSION, filtres=logement, terme="logements"
            ),
        }
        for label, fn in extra.items():
            print(f"{label:28} {_best(fn):9.0f}ms")


if __name__ == "__main__":
    main()
