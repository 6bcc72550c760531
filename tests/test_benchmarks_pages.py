"""`python -m benchmarks.pages` on a demo database, as an operator runs it: each page of a role and
the Priorités filters are timed in Chromium, none left « non mesurée » (a run's end it failed to
see would hang it, then give up on the page)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from q2030.access import ECRANS
from q2030.ui.shell import PAGES
from tests.browser_support import CHROMIUM, ROOT, prepare_demo_database
from tests.conftest import QPV_2024_CSV

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_pages_bench_times_every_page_and_filter_of_the_commission(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium absent ({CHROMIUM}) : installez le paquet Debian « chromium » (.ci/run le fait)")
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    prepare_demo_database(url, QPV_2024_CSV if QPV_2024_CSV.exists() else None, seed=5)
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.pages", url, "--runs", "1", "--roles", "commission", "--no-script"],
        cwd=ROOT,
        env={**os.environ, "Q2030_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    timed = dict(re.findall(r"^\s+commission\s+(.+?)\s+(\d+) ms", result.stdout, flags=re.MULTILINE))
    pages = [page.label for key, page in PAGES.items() if key != "accueil" and "commission" in ECRANS[key]]
    filters = ["+ Jeunes", "+ Atelier", "+ Île-de-France", "+ 93 – Seine-Saint-Denis", "Réinitialiser les filtres"]
    assert sorted(timed) == sorted([*pages, *(f"Priorités : {step}" for step in filters)]), result.stdout
    assert all(int(ms) > 0 for ms in timed.values())
    assert "non mesurée" not in result.stdout
    assert re.search(r"mémoire du serveur à la fin : \d+ Mio \(pic \d+ Mio\)", result.stdout)
