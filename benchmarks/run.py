"""National-scale benchmark: `python -m benchmarks`.

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
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from benchmarks import reference
from benchmarks.measures import (
    Measure,
    interleaved_times,
    median_time,
    median_times,
    refuser_base_vide,
    rows_of,
)
from benchmarks.operations import operations
from q2030.access import SYSTEM
from q2030.bootstrap import prepare_database
from q2030.db import PROJECT_ROOT, make_engine, session_scope
from q2030.priorities import index_recherche

# The reference files sit beside the repository (../shared/data), never inside it.
DEFAULT_QPV_FILE = PROJECT_ROOT.parent / "shared" / "data" / "qpv2024" / "qpv2024.csv"
RESULTS_DIR = PROJECT_ROOT / "data" / "bench"


def _floor_rows(session: Session, statement: TextClause, params: dict[str, Any]) -> list[Any]:
    """The floor: the same rows read by hand-written SQL, without the ORM."""
    return list(session.connection().execute(statement, params).fetchall())


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
    engine: Engine, database: str, scale: str, runs: int, log: Callable[[str], None], only: str | None = None
) -> list[Measure]:
    refuser_base_vide(engine)
    results = []
    started = time.perf_counter()
    reference_db = reference.load(engine)
    log(f"  référence DuckDB (1 thread, en mémoire) chargée en {time.perf_counter() - started:.1f} s (non compté)")
    if index_recherche.actif():  # built first, as it is after each write: the searches and cut periods read it
        results.append(_index_recherche(engine, database, scale, log))
    for op in operations():
        if op.scales is not None and scale not in op.scales:
            continue
        if only is not None and only.casefold() not in op.name.casefold():
            continue
        op_runs = min(runs, op.runs or runs)
        with Session(engine) as session:
            if op_runs > 1:
                op.app(session)  # warm the database's own caches once, as any running app has them
            app = partial(op.app, session)
            params = op.floor_params(session) if op.floor_sql else {}
            if op.floor_sql and op.reference:
                # The app and DuckDB in turn, run after run: the ratio is taken under the same load.
                sql = reference.duckdb_sql(op.floor_sql)
                reference.run(reference_db, sql, params)  # warm, as for the app
                (app_s, app_cpu_s, result), (reference_s, reference_cpu_s, reference_rows) = interleaved_times(
                    app, partial(reference.run, reference_db, sql, params), op_runs
                )
            else:
                app_s, app_cpu_s, result = median_times(app, op_runs)
            measure = Measure(database, scale, op.name, app_s, rows=rows_of(result), app_cpu_s=app_cpu_s)
            if op.floor_sql:
                statement = text(op.floor_sql)
                measure.floor_s, _ = median_time(partial(_floor_rows, session, statement, params), runs)
                if op.reference:
                    measure.reference_s, measure.reference_cpu_s = reference_s, reference_cpu_s
                    if op.compare is not None:
                        measure.same_as_reference = op.compare(result, reference_rows)
            if op.command:
                measure.peak_mib = _child_peak_mib(op.command, engine)
        measure.load_average = os.getloadavg()[0]
        results.append(measure)
        ratio = f"  ratio {measure.ratio:.2f}" if measure.ratio else ""
        if measure.ratio_reference:
            ratio += f"  app / DuckDB {measure.ratio_reference:.2f}"
        if measure.ratio_reference_cpu and measure.app_cpu_s and measure.reference_cpu_s:
            ratio += (
                f"  CPU {measure.app_cpu_s * 1000:.1f} / {measure.reference_cpu_s * 1000:.1f} ms"
                f" = {measure.ratio_reference_cpu:.2f}"
            )
        ratio += f"  charge {measure.load_average:.1f}"
        if measure.same_as_reference is not None:
            ratio += "  mêmes chiffres que DuckDB" if measure.same_as_reference else "  CHIFFRES DIFFÉRENTS DE DUCKDB"
        log(f"  {op.name:<60} {app_s * 1000:9.1f} ms{ratio}")
    reference_db.close()
    return results


def _index_recherche(engine: Engine, database: str, scale: str, log: Callable[[str], None]) -> Measure:
    """The index in memory of the Priorités, built as after each write (then the rankings of a
    search or of a period cutting months read it): its cost."""
    started, cpu = time.perf_counter(), time.process_time()
    index = index_recherche.construire_pour(engine)
    measure = Measure(
        database, scale, INDEX_RECHERCHE, time.perf_counter() - started, rows=len(index.positions),
        app_cpu_s=time.process_time() - cpu, note=f"{len(index.vocabulaire)} mots",
    )  # fmt: skip
    measure.load_average = os.getloadavg()[0]
    log(
        f"  {INDEX_RECHERCHE:<60} {measure.app_s * 1000:9.1f} ms  CPU {(measure.app_cpu_s or 0) * 1000:.0f} ms"
        f"  {len(index.vocabulaire)} mots, {len(index.positions)} paires mot × contribution"
    )
    return measure


INDEX_RECHERCHE = "Priorités : index en mémoire (mots, contributions ; reconstruit après chaque écriture)"


def run(
    *,
    databases: list[str],
    scales: list[str],
    runs: int = 5,
    pg_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    qpv_file: Path | None = DEFAULT_QPV_FILE,
    pages: bool = True,
    log: Callable[[str], None] = print,
    existing: str | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    """`existing`: measure that database as it is (one database, one volume named by `scales`)
    instead of building fresh demo databases; `only`: the operations whose name contains it."""
    qpv = qpv_file if qpv_file and qpv_file.exists() else None
    measures: list[Measure] = []
    populate_times: dict[str, float] = {}
    for scale in scales:
        for database in databases:
            log(f"== {database}, volume {scale}")
            if existing:
                url = existing
                engine = make_engine(url)
            else:
                url = fresh_database(database, scale, pg_url)
                engine = make_engine(url)
                populate_times[f"{database}/{scale}"] = populate(engine, scale, qpv, log)
            measures.extend(measure_operations(engine, database, scale, runs, log, only))
            if pages and scale != "x10" and only is None:
                from benchmarks.pages import measure_pages  # AppTest: the Streamlit side

                measures.extend(measure_pages(url, database, scale, max(3, runs // 2), log))
            engine.dispose()
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "qpv_file": str(qpv) if qpv else "quartiers fictifs",
        "runs": runs,
        "populate_s": populate_times,
        "load_average": os.getloadavg(),
        "measures": [
            asdict(m)
            | {"ratio": m.ratio, "ratio_reference": m.ratio_reference, "ratio_reference_cpu": m.ratio_reference_cpu}
            for m in measures
        ],
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
        "| base | volume | mesure | app (ms) | plancher SQL (ms) | app / plancher | référence DuckDB (ms) "
        "| app / référence | CPU app / DuckDB (ms) | mémoire max. du processus (Mio) | charge |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results["measures"]:
        floor = f"{m['floor_s'] * 1000:.1f}" if m["floor_s"] else "—"
        ratio = f"{m['ratio']:.2f}" if m["ratio"] else "—"
        ref = f"{m['reference_s'] * 1000:.1f}" if m.get("reference_s") else "—"
        ratio_ref = f"{m['ratio_reference']:.2f}" if m.get("ratio_reference") else "—"
        if m.get("same_as_reference") is not None:
            ratio_ref += " (mêmes chiffres)" if m["same_as_reference"] else " (CHIFFRES DIFFÉRENTS)"
        peak = f"{m['peak_mib']:.0f}" if m["peak_mib"] else "—"
        cpu = "—"
        if m.get("ratio_reference_cpu"):
            cpu = f"{m['app_cpu_s'] * 1000:.1f} / {m['reference_cpu_s'] * 1000:.1f} = {m['ratio_reference_cpu']:.2f}"
        load = f"{m['load_average']:.1f}" if m.get("load_average") is not None else "—"
        note = f" ({m['note']})" if m["note"] else ""
        app = f"{m['app_s'] * 1000:.1f}"
        lines.append(
            f"| {m['database']} | {m['scale']} | {m['name']}{note} | {app} | {floor} | {ratio} | {ref} | {ratio_ref} "
            f"| {cpu} | {peak} | {load} |"
        )
    return "\n".join(lines)


def save(results: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"bench-{dt.datetime.now().astimezone():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path
