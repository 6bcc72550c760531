"""National-scale benchmark: `python -m q2030 bench`.

For each database (SQLite file, PostgreSQL) and each volume (national: 5,000 rencontres and
250,000 contributions; x10: 2.5 million), builds a fresh demo database, then times every
read model the pages use (median of several runs) beside its *floor*: the same result
computed by one hand-written SQL statement over the same tables, in the same run. The
ratio app / floor shows what the service layer costs on top of the database. Pages are
timed through AppTest, warm cache, as a user clicking around would get them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from q2030.access import SYSTEM, Actor
from q2030.bootstrap import active_campaign, prepare_database
from q2030.db import PROJECT_ROOT, make_engine, session_scope

NATIONAL = Actor(email="bench@q2030", role="commission", nom="Banc d'essai")
DEPARTEMENT = "93"
REFERENT = Actor(email="bench.referent@q2030", role="referent", departement_code=DEPARTEMENT, region_code="11")
DEFAULT_QPV_FILE = PROJECT_ROOT.parent / "shared" / "data" / "qpv2024" / "qpv2024.csv"
RESULTS_DIR = PROJECT_ROOT / "data" / "bench"


@dataclass
class Measure:
    database: str
    scale: str
    name: str
    app_s: float
    floor_s: float | None = None
    rows: int | None = None
    peak_mib: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.app_s / self.floor_s if self.floor_s else None


@dataclass
class Operation:
    name: str
    app: Callable[[Session], Any]
    floor_sql: str | None = None
    floor_params: Callable[[Session], dict[str, Any]] = field(default=lambda _s: {})
    # For memory: the same work as a CLI command, run in a child process whose peak resident
    # memory is read from the kernel (tracemalloc would slow a 90 s export down tenfold).
    command: list[str] | None = None
    runs: int | None = None  # fewer runs for operations that take seconds
    scales: tuple[str, ...] | None = None  # volumes where it is measured (None: all)


def _median_time(function: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _child_peak_mib(command: list[str], engine: Engine) -> float:
    environment = os.environ | {"Q2030_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    with tempfile.TemporaryDirectory() as folder:
        argv = [sys.executable, "-m", "q2030", *[a.replace("{tmp}", folder) for a in command]]
        child = subprocess.Popen(argv, env=environment, stdout=subprocess.DEVNULL, cwd=PROJECT_ROOT)
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(argv)} a échoué (code {child.returncode})")
    return usage.ru_maxrss / 1024  # KiB on Linux


def _rows(result: Any) -> int | None:
    try:
        return len(result)
    except TypeError:
        return None


# --- The operations ------------------------------------------------------------------------

COVERAGE_FLOOR = """
SELECT q.code, q.nom, q.communes_label, q.departement_code, d.region_code,
  CASE
    WHEN MAX(CASE WHEN r.statut = 'tenue' AND r.date <= :au AND r.date <= :echeance THEN 1 ELSE 0 END) = 1
      THEN 'couvert_delais'
    WHEN MIN(CASE WHEN r.statut = 'tenue' AND r.date <= :au THEN r.date END) IS NOT NULL THEN 'couvert_retard'
    WHEN MIN(CASE WHEN r.statut = 'prevue' OR (r.statut = 'tenue' AND r.date > :au) THEN r.date END) IS NOT NULL
      THEN 'prevu'
    ELSE 'non_couvert' END AS statut,
  MIN(CASE WHEN r.statut = 'tenue' AND r.date <= :au THEN r.date END) AS premiere,
  MIN(CASE WHEN r.statut = 'prevue' OR (r.statut = 'tenue' AND r.date > :au) THEN r.date END) AS prochaine,
  MAX(CASE WHEN r.statut = 'tenue' AND r.date <= :au AND rq.direct THEN 1 ELSE 0 END) AS direct,
  COUNT(CASE WHEN r.statut = 'tenue' AND r.date <= :au THEN r.id END) AS tenues
FROM qpv q
JOIN departement d ON d.code = q.departement_code
LEFT JOIN rencontreqpv rq ON rq.qpv_code = q.code
LEFT JOIN rencontre r ON r.id = rq.rencontre_id AND r.campaign_id = :campaign AND r.statut <> 'annulee'
WHERE q.geographie = :geographie {extra}
GROUP BY q.code, q.nom, q.communes_label, q.departement_code, d.region_code
ORDER BY q.departement_code, q.code
"""


def _campaign_params(session: Session) -> dict[str, Any]:
    campaign = active_campaign(session)
    return {
        "au": dt.date.today(),
        "echeance": campaign.rencontres_echeance,
        "campaign": campaign.id,
        "geographie": campaign.geographie,
        "dep": DEPARTEMENT,
    }


def operations() -> list[Operation]:
    from q2030 import coverage

    ops = [
        Operation(
            "Couverture : statut de tous les QPV (France)",
            lambda s: coverage.qpv_status(s, actor=NATIONAL),
            COVERAGE_FLOOR.format(extra=""),
            _campaign_params,
        ),
        Operation(
            f"Couverture : statut des QPV d'un département ({DEPARTEMENT})",
            lambda s: coverage.qpv_status(s, actor=REFERENT),
            COVERAGE_FLOOR.format(extra="AND q.departement_code = :dep"),
            _campaign_params,
        ),
        Operation(
            "Couverture : comptes par département",
            lambda s: coverage.coverage_counts(s, actor=NATIONAL, niveau="departement"),
        ),
    ]
    ops.extend(_extra_operations())
    return ops


def _extra_operations() -> list[Operation]:
    """Operations of modules that may not be installed in every branch (priorities, Excel)."""
    extra: list[Operation] = []
    try:
        from q2030 import bench_ops
    except ImportError:
        return extra
    extra.extend(bench_ops.operations(NATIONAL, REFERENT))
    extra.extend(bench_ops.excel_operations(NATIONAL, REFERENT))
    return extra


# --- Databases --------------------------------------------------------------------------------


def fresh_database(kind: str, scale: str, pg_url: str) -> str:
    """URL of a new empty database for this run (SQLite file under data/bench, or a PG database)."""
    if kind == "sqlite":
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"bench-{scale}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin_url = make_url(pg_url)
    name = f"q2030_bench_{scale}"
    admin = make_engine(admin_url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def populate(engine: Engine, scale: str, qpv_file: Path | None, log: Callable[[str], None]) -> float:
    from q2030.demo import load_demo

    prepare_database(engine)
    started = time.perf_counter()
    with session_scope(engine) as session:
        report = load_demo(session, actor=SYSTEM, qpv_file=qpv_file, seed=2023, scale=scale)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    elapsed = time.perf_counter() - started
    log(f"  {report.qpv} QPV, {report.rencontres} rencontres, {report.contributions} contributions en {elapsed:.1f} s")
    return elapsed


# --- Measuring --------------------------------------------------------------------------------


def measure_operations(
    engine: Engine, database: str, scale: str, runs: int, log: Callable[[str], None]
) -> list[Measure]:
    results = []
    for op in operations():
        if op.scales is not None and scale not in op.scales:
            continue
        op_runs = min(runs, op.runs or runs)
        with Session(engine) as session:
            if op_runs > 1:
                op.app(session)  # warm the database's own caches once, as any running app has them
            app_s, result = _median_time(lambda op=op, session=session: op.app(session), op_runs)
            measure = Measure(database, scale, op.name, app_s, rows=_rows(result))
            if op.floor_sql:
                params = op.floor_params(session)
                statement = text(op.floor_sql)
                measure.floor_s, _ = _median_time(
                    lambda s=session, st=statement, p=params: s.connection().execute(st, p).fetchall(), runs
                )
            if op.command:
                measure.peak_mib = _child_peak_mib(op.command, engine)
        results.append(measure)
        ratio = f"  ratio {measure.ratio:.2f}" if measure.ratio else ""
        log(f"  {op.name:<60} {app_s * 1000:9.1f} ms{ratio}")
    return results


def run(
    *,
    databases: list[str],
    scales: list[str],
    runs: int = 5,
    pg_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    qpv_file: Path | None = DEFAULT_QPV_FILE,
    pages: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    qpv = qpv_file if qpv_file and qpv_file.exists() else None
    measures: list[Measure] = []
    populate_times: dict[str, float] = {}
    for scale in scales:
        for database in databases:
            log(f"== {database}, volume {scale}")
            url = fresh_database(database, scale, pg_url)
            engine = make_engine(url)
            populate_times[f"{database}/{scale}"] = populate(engine, scale, qpv, log)
            measures.extend(measure_operations(engine, database, scale, runs, log))
            if pages and scale != "x10":
                from q2030.ui.bench_pages import measure_pages  # AppTest: the Streamlit side

                measures.extend(measure_pages(url, database, scale, max(3, runs // 2), log))
            engine.dispose()
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "qpv_file": str(qpv) if qpv else "quartiers fictifs",
        "runs": runs,
        "populate_s": populate_times,
        "measures": [asdict(m) | {"ratio": m.ratio} for m in measures],
    }


def machine_description() -> str:
    cpus = os.cpu_count()
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
            memory = f", {kib / 2**20:.0f} GiB"
    except OSError:
        pass
    return f"{platform.machine()}, {cpus} cœurs{memory}, Python {platform.python_version()}, {platform.system()}"


def markdown_table(results: dict[str, Any]) -> str:
    lines = [
        "| base | volume | mesure | app (ms) | plancher SQL (ms) | ratio | mémoire max. du processus (Mio) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for m in results["measures"]:
        floor = f"{m['floor_s'] * 1000:.1f}" if m["floor_s"] else "—"
        ratio = f"{m['ratio']:.2f}" if m["ratio"] else "—"
        peak = f"{m['peak_mib']:.0f}" if m["peak_mib"] else "—"
        note = f" ({m['note']})" if m["note"] else ""
        app = f"{m['app_s'] * 1000:.1f}"
        lines.append(f"| {m['database']} | {m['scale']} | {m['name']}{note} | {app} | {floor} | {ratio} | {peak} |")
    return "\n".join(lines)


def save(results: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"bench-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path
