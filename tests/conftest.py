"""Shared fixtures: a fresh, migrated database per test (SQLite, or PostgreSQL when
Q2030_TEST_DATABASE_URL is set), real reference files, AppTest set-up.

A test whose fixtures include `database_preparation` (a module defines it, returning a
`Preparation` such as `Demo(seed=11)`) starts from a copy of a database filled once per run
by that preparation (on SQLite once for all the xdist workers, behind a file lock): a file copy on
SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. Each
test still owns its database and may write to it; nothing a test writes reaches another."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from q2030.bootstrap import prepare_database
from q2030.db import make_engine, session_scope
from tests import apptest_support, sql_cache
from tests.databases import Preparation

ROOT = Path(__file__).resolve().parent.parent
# The real reference files sit beside the checkout (`../shared/data`); a git worktree one level
# deeper (`/work/wt/NAME`) finds them one level up. Q2030_SHARED_DATA names another place.
SHARED_DATA = Path(
    os.environ.get("Q2030_SHARED_DATA")
    or next(
        (p for p in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if p.is_dir()),
        ROOT.parent / "shared" / "data",
    )
)
QPV_2024_CSV = SHARED_DATA / "qpv2024" / "qpv2024.csv"
PG_URL = os.environ.get("Q2030_TEST_DATABASE_URL", "")

# Test databases and files on tmpfs (/dev/shm) when the machine has one: SQLite syncs the file
# on every WAL checkpoint (each connection closed, each engine disposed), about 7 ms a close
# on this disk and nothing in memory. The same SQLite, the same files; only the medium
# differs. PYTEST_DEBUG_TEMPROOT (pytest's documented root for tmp_path) names another place;
# pyproject keeps only the directories of failed tests (tmp_path_retention_policy).
if "PYTEST_DEBUG_TEMPROOT" not in os.environ and os.access("/dev/shm", os.W_OK):
    os.environ["PYTEST_DEBUG_TEMPROOT"] = "/dev/shm"

# The search's word index is built in a background thread (q2030.priorities.index_recherche): off in
# the tests, which read the rows, but its own tests (tests/test_recherche_index.py), which join its
# builds. Q2030_INDEX_RECHERCHE=1 runs the whole suite with it.
os.environ.setdefault("Q2030_INDEX_RECHERCHE", "0")

# Costs paid once per test process rather than per test (see each module).
sql_cache.install()
apptest_support.install()

# Tables holding reference geography and configuration, kept between tests on PostgreSQL.
KEEP_TABLES = {"region", "departement", "alembic_version"}


@pytest.fixture(scope="session")
def _run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of this run shared by its xdist workers (each worker's base directory is
    `<the run's>/popen-gwN`); the run's own base directory without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _built_once(path: Path, build: Callable[[Path], None]) -> Path:
    """`path`, built by the first process of the run that needs it (`build(partial path)`, then
    renamed); the other xdist workers wait on the file lock and reuse it. Each worker used to
    build its own: the template and every prepared database twice on the two cores."""
    with FileLock(f"{path}.lock"):
        if not path.exists():
            partial = path.with_name(f"{path.name}.partial")
            build(partial)
            partial.rename(path)
    return path


def _preparation_key(preparation: Preparation) -> str:
    """The same name in every worker for equal preparations: the fields' values, a function
    by its module and name (its repr carries an address that differs between processes)."""
    assert dataclasses.is_dataclass(preparation), preparation
    values = []
    for field in dataclasses.fields(preparation):
        value = getattr(preparation, field.name)
        shown = f"{value.__module__}.{value.__qualname__}" if callable(value) else repr(value)
        values.append(f"{field.name}={shown}")
    described = f"{type(preparation).__module__}.{type(preparation).__qualname__}({', '.join(values)})"
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def _build_template(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    prepare_database(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(_run_directory: Path) -> Path:
    """The migrated empty database every SQLite test copies, built once per run."""
    return _built_once(_run_directory / "template.db", _build_template)


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """A database created for this test run, dropped at the end."""
    admin_url = make_url(PG_URL)
    name = f"q2030_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    prepare_database(engine)
    engine.dispose()
    yield url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fill(url: str, preparation: Preparation) -> None:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            preparation.fill(session)
        if url.startswith("sqlite"):
            with engine.connect() as connection:  # the copy is the file alone: no pending WAL
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _prepared_sqlite(_run_directory: Path, _sqlite_template: Path) -> Callable[[Preparation], Path]:
    """Filled SQLite files, one per preparation, built on first use, once per run (xdist
    workers share them)."""
    built: dict[Preparation, Path] = {}

    def build(preparation: Preparation) -> Callable[[Path], None]:
        def fill(path: Path) -> None:
            shutil.copyfile(_sqlite_template, path)
            _fill(f"sqlite:///{path}", preparation)

        return fill

    def get(preparation: Preparation) -> Path:
        if preparation not in built:
            path = _run_directory / f"prepared-{_preparation_key(preparation)}.db"
            built[preparation] = _built_once(path, build(preparation))
        return built[preparation]

    return get


def _pg_execute(url: str, statement: str) -> None:
    admin = make_engine(url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def _prepared_pg() -> Iterator[Callable[[Preparation], str]]:
    """Filled PostgreSQL template databases, one per preparation, dropped at the end of the run.
    Nothing stays connected to a template (CREATE DATABASE … TEMPLATE needs it idle)."""
    admin_url = make_url(PG_URL)
    admin = admin_url.render_as_string(hide_password=False)
    built: dict[Preparation, str] = {}

    def get(preparation: Preparation) -> str:
        if preparation not in built:
            name = f"q2030_tpl_{uuid.uuid4().hex[:10]}"
            _pg_execute(admin, f'CREATE DATABASE "{name}"')
            built[preparation] = name
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            engine = make_engine(url)
            prepare_database(engine)
            engine.dispose()
            _fill(url, preparation)
        return built[preparation]

    yield get
    for name in built.values():
        _pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepared_url(request: pytest.FixtureRequest, tmp_path: Path, preparation: Preparation) -> str:
    if PG_URL:
        template = request.getfixturevalue("_prepared_pg")(preparation)
        admin_url = make_url(PG_URL)
        admin = admin_url.render_as_string(hide_password=False)
        name = f"q2030_test_{uuid.uuid4().hex[:10]}"
        _pg_execute(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        request.addfinalizer(lambda: _pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return admin_url.set(database=name).render_as_string(hide_password=False)
    path = tmp_path / "q2030.db"
    shutil.copyfile(request.getfixturevalue("_prepared_sqlite")(preparation), path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty, migrated database (reference geography and campaign loaded), or of a
    copy of the prepared one when the test's fixtures include `database_preparation`."""
    if "database_preparation" in request.fixturenames:
        preparation = request.getfixturevalue("database_preparation")
        assert isinstance(preparation, Preparation), preparation
        return _prepared_url(request, tmp_path, preparation)
    if PG_URL:
        url: str = request.getfixturevalue("_pg_database")
        engine = make_engine(url)
        tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in KEEP_TABLES]
        with engine.begin() as connection:
            # A connection leaked by an earlier test must not block this one: end it.
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            connection.execute(text("INSERT INTO appstate (id, data_version) VALUES (1, 0)"))
        prepare_database(engine)
        engine.dispose()
        return url
    path = tmp_path / "q2030.db"
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def exemples(pytestconfig: pytest.Config) -> Callable[[int, int], int]:
    """How many random cases a randomized test draws: `exemples(complet, rapide)` is `complet`
    in the full suite (`python -m pytest`, CI) and `rapide` in the quick loops (a `-m`
    expression excluding `slow`). Q2030_TEST_EXEMPLES=complet (or rapide) forces one count."""
    forced = os.environ.get("Q2030_TEST_EXEMPLES", "")
    markexpr = str(pytestconfig.getoption("markexpr") or "")
    quick = forced == "rapide" or (forced != "complet" and "not slow" in markexpr)
    return lambda complet, rapide: rapide if quick else complet


@pytest.fixture
def qpv_2024_csv() -> Path:
    if not QPV_2024_CSV.exists():
        pytest.skip(f"fichier de référence absent : {QPV_2024_CSV}")
    return QPV_2024_CSV


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One Chromium for every browser test of the run: Playwright's sync API refuses a second
    live instance in the same process ("Sync API inside the asyncio loop")."""
    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"Chromium absent ({CHROMIUM}) : installez le paquet Debian « chromium » (.ci/run le fait)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="paquet Python playwright absent")
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, chromium_sandbox=False
    )
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="session", autouse=True)
def _upload_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploaded files (content-addressed) go to a folder of the run, never to the project's
    data/uploads; a test that needs its own folder sets Q2030_UPLOAD_DIR again."""
    patch = pytest.MonkeyPatch()
    patch.setenv("Q2030_UPLOAD_DIR", str(tmp_path_factory.mktemp("depots")))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    yield
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    from q2030 import codage

    codage._MODELES.clear()  # keyed on the database URL, which PostgreSQL's empty database reuses


@pytest.fixture(autouse=True)
def _no_hidden_incident(request: pytest.FixtureRequest) -> Iterator[None]:
    """The page boundary turns an unexpected error into a French message (no `at.exception`):
    a test fails if any page it drove hit one, unless it provokes one on purpose."""
    from q2030.ui.incidents import INCIDENTS

    INCIDENTS.clear()
    yield
    if request.node.get_closest_marker("incident_attendu") is None:
        assert not INCIDENTS, f"erreur inattendue sur une page (journal du serveur) : {list(INCIDENTS)}"


@pytest.fixture
def app_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Environment for AppTest: the app points at the test database, demo auth."""
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    monkeypatch.setenv("Q2030_AUTH", "demo")
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("Q2030_AGENDA_DIR", str(tmp_path / "agenda"))  # public .ics feeds (q2030.feeds)
    monkeypatch.chdir(ROOT)
    return database_url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks that follow from what a test uses, so no file can forget them: a test driving
    Chromium or in a browser file (which starts the real app server) is `browser` and `slow`;
    a test running the app's pages (AppTest, `app_env`) is `page`. Loops: `-m "not slow"`
    (quick), `-m "not slow and not page"` (services)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "chromium" in fixtures or item.path.name.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
        if "app_env" in fixtures:
            item.add_marker(pytest.mark.page)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything alive after collection (the application's modules, SQLAlchemy's metadata,
    the collected items) lives until the end: moved out of the garbage collector's reach,
    so its full collections stop walking it again and again (`gc.freeze`). A young collection
    every 20 000 new objects instead of 700: a test makes hundreds of thousands of short-lived
    ones (rows, compiled parameters), the collector's own time in a services worker 2.0 -> 1.2 s."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """The same after each test file: what a file's tests leave alive (compiled SQL in the
    shared cache, imported modules, reports) mostly lives on. A full collection first (every
    cycle the file left is freed, its finalizers run while pytest still reports their errors),
    then `gc.freeze`: the collector's automatic full passes, 20 to 30 a worker that walked the
    whole growing heap (0.2 to 0.4 s each), and pytest's five at the end walk only what the
    following files create."""
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.path != item.path:
            gc.collect()
            gc.freeze()
