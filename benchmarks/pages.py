"""Page timings for the benchmark: each page's script run through AppTest, warm cache.

Drives Streamlit's AppTest: the one module of the benchmark that imports streamlit.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from benchmarks.measures import DEPARTEMENT, Measure
from q2030.db import PROJECT_ROOT


def measure_pages(database_url: str, database: str, scale: str, runs: int, log: Callable[[str], None]) -> list[Measure]:
    """Script time of every page for a role that may see it, warm cache (AppTest)."""
    from streamlit.testing.v1 import AppTest

    from q2030.ui.shell import PAGES

    app = str(PROJECT_ROOT / "streamlit_app.py")
    role_for = {
        "mon_departement": "referent",
        "ma_region": "prefet_region",
        "rencontres": "referent",
        "excel": "referent",
    }
    previous = {k: os.environ.get(k) for k in ("Q2030_DATABASE_URL", "Q2030_AUTH")}
    os.environ["Q2030_DATABASE_URL"], os.environ["Q2030_AUTH"] = database_url, "demo"
    results = []
    try:
        for key, page in PAGES.items():
            role = role_for.get(key, "admin" if "admin" in page.roles else sorted(page.roles)[0])
            at = AppTest.from_file(app, default_timeout=300)
            at.session_state["shared_role"] = role
            at.session_state["shared_departement"] = DEPARTEMENT
            at.session_state["shared_region"] = "11"
            at.run()
            if key != "accueil":
                at.switch_page(page.path).run()  # cold: fills the caches
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - started)
            note = "exception" if at.exception else ""
            results.append(Measure(database, scale, f"Page {page.label} ({role})", statistics.median(times), note=note))
            log(f"  page {page.label:<40} {statistics.median(times) * 1000:9.1f} ms {note}")
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return results
