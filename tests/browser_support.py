"""The real app in a real browser: a Streamlit server on a free port, and Playwright helpers.

The server runs `python -m streamlit run streamlit_app.py` over a temporary SQLite
database filled by `python -m q2030 demo`, exactly as an operator would start it. The
browser is Debian's Chromium (never a downloaded one); Streamlit's DOM is driven through
its `data-testid` attributes and the `st-key-<key>` classes its keyed widgets carry.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import FilePayload, Locator, Page

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 60.0  # seconds for the server to answer its health check
WAIT_MS = 60_000  # Playwright waits: a loaded 2-core CI box can take many seconds per page

# The app is idle: connected, no script run under way, no element left over from a previous
# run (stale) or still loading (skeleton).
_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]');
}"""
_GRID_JS = """grid => ({
  header: Array.from(grid.querySelectorAll('table[role="grid"] thead th')).map(c => c.textContent.trim()),
  rows: Array.from(grid.querySelectorAll('table[role="grid"] tbody tr'))
    .map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim())),
})"""


# --- Server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 5.0) -> tuple[int, str, str]:
    """Status, content type and body of a GET."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8")


@contextmanager
def temporary_pg_database(server_url: str, prefix: str) -> Iterator[str]:
    """A PostgreSQL database created for the run on the server of `server_url`, then dropped."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from q2030.db import make_engine

    admin_url = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare_demo_database(database_url: str, qpv_file: Path | None, seed: int) -> str:
    """Fill an empty database with the demo campaign through the CLI; returns its summary line."""
    command = [sys.executable, "-m", "q2030", "demo", "--seed", str(seed)]
    if qpv_file is not None:
        command += ["--qpv", str(qpv_file)]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "Q2030_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"`q2030 demo` a échoué ({result.returncode}) :\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def project_view(folder: Path) -> Path:
    """The project as `streamlit run` sees it, in `folder`: the same code and configuration
    (symbolic links), but its own static/ folder (fonts and map outlines linked), so that the public
    agenda feeds Streamlit serves from static/agenda/ are only what this server wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("streamlit_app.py", "pages", "q2030", ".streamlit"):
        (folder / name).symlink_to(ROOT / name)
    (folder / "static").mkdir()
    (folder / "static" / "fonts").symlink_to(ROOT / "static" / "fonts")
    # The map outlines are written under the real project (`q2030.ui.maps.OUTLINES_FOLDER`);
    # the folder exists first (Streamlit measures static/ at start and fails on a dangling link).
    (ROOT / "static" / "geo").mkdir(parents=True, exist_ok=True)
    (folder / "static" / "geo").symlink_to(ROOT / "static" / "geo", target_is_directory=True)
    return folder


@dataclass
class AppServer:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start_app(
    database_url: str,
    workdir: Path,
    *,
    auth: str = "demo",
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    root: Path = ROOT,
) -> AppServer:
    """`streamlit run streamlit_app.py` from `root` (the project, or a `project_view`) on a
    free port; returns once /_stcore/health says ok.

    The public agenda feeds go where Streamlit serves them (static/agenda/ beside the script,
    git-ignored)."""
    port = port or free_port()
    log = workdir / "streamlit.log"
    env = {
        **os.environ,
        "Q2030_DATABASE_URL": database_url,
        "Q2030_AUTH": auth,
        "Q2030_UPLOAD_DIR": str(workdir / "uploads"),
        "Q2030_AGENDA_DIR": str(root / "static" / "agenda"),
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        *extra_args,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = AppServer(f"http://127.0.0.1:{port}", database_url, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"le serveur Streamlit s'est arrêté ({process.returncode}) :\n{server.log_tail()}")
        try:
            if get(f"{server.url}/_stcore/health", timeout=2)[2] == "ok":
                return server
        except OSError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"le serveur Streamlit ne répond pas après {START_TIMEOUT:.0f} s :\n{server.log_tail()}")


# --- Accessibility (axe-core, from the npm registry) ---------------------------------------

# `.ci/run` installs it: npm install --prefix /tmp/q2030-axe axe-core@4.14.1
AXE_JS = Path(os.environ.get("Q2030_AXE_JS", "/tmp/q2030-axe/node_modules/axe-core/axe.min.js"))
AXE_BLOCKING = ("serious", "critical")
_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
  }));
}"""


def axe_violations(page: Page, impacts: tuple[str, ...] = AXE_BLOCKING) -> list[dict[str, object]]:
    """axe-core's violations of the page as it is now, restricted to `impacts`.

    Injected by Playwright into the page (no change to the app). Skips the calling test
    with the install command when axe-core is not installed.
    """
    if not AXE_JS.exists():
        import pytest

        pytest.skip(f"axe-core absent ({AXE_JS}) : npm install --prefix /tmp/q2030-axe axe-core@4.14.1")
    page.add_script_tag(path=str(AXE_JS))
    violations: list[dict[str, object]] = page.evaluate(_AXE_RUN)
    return [v for v in violations if v["impact"] in impacts]


# --- Browser -----------------------------------------------------------------------------


class AppPage:
    """One browser tab on the app, i.e. one Streamlit session (its own sidebar choices)."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        page.set_default_timeout(WAIT_MS)

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base_url + path)
        self.page.locator('[data-testid="stApp"] h1').first.wait_for()
        self.settle()

    def settle(self) -> None:
        """Wait for the current script run to finish (never a fixed sleep on its own)."""
        self.page.wait_for_timeout(100)  # lets a just-triggered rerun start
        self.page.wait_for_function(_IDLE_JS, timeout=WAIT_MS)

    def upload(self, key: str, files: str | Path | list[FilePayload]) -> None:
        """Give a file to the uploader created with `key=`, and wait until the app holds it.

        The upload goes over HTTP before the rerun starts: on a loaded machine it can take longer
        than settle()'s start delay, and a button clicked meanwhile runs with the previous file
        (CI, 05/12: a second Excel import ran the June file again). The chip with the file's name,
        without its spinner, says the upload is done."""
        self.keyed(key).locator('input[type="file"]').set_input_files(files)
        names = [f["name"] for f in files] if isinstance(files, list) else [Path(files).name]
        for name in names:  # the chip cuts a long name in its text, not in its title
            self.keyed(key).locator(f'[data-testid="stFileChipName"][title="{name}"]').first.wait_for(timeout=WAIT_MS)
        self.keyed(key).locator('[data-testid="stFileChipIconSpinner"]').first.wait_for(
            state="detached", timeout=WAIT_MS
        )
        self.settle()

    def heading(self) -> str:
        return self.page.locator('[data-testid="stApp"] h1').first.inner_text().strip()

    def keyed(self, key: str) -> Locator:
        """The element container of the widget created with `key=`."""
        return self.page.locator(f".st-key-{key}")

    def choose(self, key: str, text: str) -> None:
        """Pick an option of a selectbox (a combobox): click, type, Enter."""
        box = self.keyed(key).locator("input")
        box.click()
        box.fill(text)
        self.page.locator('[role="option"]', has_text=text).first.wait_for()
        self.page.keyboard.press("Enter")
        box.blur()
        self.settle()
        shown = box.input_value()
        assert text in shown, f"« {text} » n'a pas été choisi dans {key} (affiché : {shown!r})"

    def add_to_multiselect(self, key: str, text: str) -> None:
        box = self.keyed(key).locator("input")
        box.click()
        box.fill(text)
        self.page.locator('[role="option"]', has_text=text).first.wait_for()
        self.page.keyboard.press("Enter")
        self.page.keyboard.press("Escape")

    def unfold(self, label: str) -> None:
        """Unfold the expander whose title is `label` (a click on its title, as a person does);
        nothing if it is already open. The Rencontres page's entry form waits folded."""
        summary = (  # its text also holds the arrow icon's name: the title is matched on its own
            self.page.locator('[data-testid="stExpander"] summary')
            .filter(has=self.page.get_by_text(label, exact=True))
            .first
        )
        summary.wait_for()
        if summary.locator("xpath=..").get_attribute("open") is None:
            summary.click()
            self.settle()  # on a loaded machine the rerun may start after settle()'s delay:
            summary.locator(
                'xpath=../*[@data-testid="stExpanderDetails"]//*[@data-testid="stElementContainer"]'
            ).first.wait_for()

    def type_date(self, key: str, value: str) -> None:
        """A date typed in the day/month/year segments of st.date_input, e.g. "15062023"."""
        self.keyed(key).locator('[data-type="day"]').click()
        self.page.keyboard.type(value)
        self.page.keyboard.press("Tab")

    def navigate(self, label: str, heading: str) -> None:
        """Follow a sidebar link (keeps the session), wait for the page's title."""
        self.page.locator('[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]').filter(
            has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
        ).click()
        self.page.locator('[data-testid="stApp"] h1').filter(has_text=heading).first.wait_for()
        self.settle()

    def grid_after(self, heading: str) -> tuple[list[str], list[list[str]]]:
        """Header and rendered rows of the first dataframe after a (sub)heading (rows on screen only)."""
        grid = self.page.locator(
            f'xpath=//*[self::h2 or self::h3][contains(normalize-space(.), "{heading}")]'
            '/following::*[@data-testid="stDataFrame"][1]'
        )
        grid.locator('table[role="grid"] tbody tr').first.wait_for(state="attached")
        content = grid.evaluate(_GRID_JS)
        return content["header"], content["rows"]

    def open_tab(self, label: str) -> None:
        """Click the section tab named `label` (Mon département: À faire, Quartiers, Synthèse…)."""
        self.page.locator('[data-testid="stMain"] [role="tab"]').filter(
            has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
        ).first.click()
        self.settle()

    def tabs(self) -> list[Locator]:
        return self.page.locator('[data-testid="stMain"] [role="tab"]').all()

    def download(self, button: Locator) -> bytes:
        """Click a download button and return the file. A build-on-click download clicked while a
        rerun is still going can be dropped (seen once in a full CI run): settle first, and click
        a second time only if no download started within 20 s."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        self.settle()
        try:
            with self.page.expect_download(timeout=20_000) as info:
                button.click()
        except PlaywrightTimeoutError:
            self.settle()
            with self.page.expect_download() as info:
                button.click()
        return Path(info.value.path()).read_bytes()

    def expander_grid(self, label: str) -> tuple[list[str], list[list[str]]]:
        """Open the expander whose label contains `label`; header and rendered rows of its table."""
        expander = self.page.locator('[data-testid="stExpander"]').filter(has_text=label).first
        if not expander.locator('[data-testid="stDataFrame"]').first.is_visible():
            expander.locator("summary").first.click()
            self.settle()
        grid = expander.locator('[data-testid="stDataFrame"]').first
        grid.locator('table[role="grid"] tbody tr').first.wait_for(state="attached")
        content = grid.evaluate(_GRID_JS)
        return content["header"], content["rows"]

    def download_csv(self, key: str) -> list[dict[str, str]]:
        """Rows of a table's "Télécharger (CSV)" button (French CSV: `;`, UTF-8 with BOM)."""
        content = self.download(self.keyed(key).locator("button")).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(content), delimiter=";"))

    def errors_shown(self) -> list[str]:
        """Python exceptions drawn by Streamlit and the page boundary's incident messages (an
        error caught by `q2030.ui.incidents`, with its reference): there should be none."""
        from q2030.ui.incidents import ENTETE

        caught = self.page.locator('[data-testid="stAlert"]').filter(has_text=ENTETE)
        return [e.inner_text() for e in self.page.locator('[data-testid="stException"]').or_(caught).all()]

    def screenshot(self, name: str) -> Path:
        """The whole page, not just the viewport: Streamlit scrolls inside its main block,
        so the window is made as tall as that block for the shot."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        height = self.page.evaluate(
            "() => Math.max(...['stMain', 'stSidebarContent'].map("
            "id => document.querySelector(`[data-testid='${id}']`)?.scrollHeight || 0))"
        )
        viewport = self.page.viewport_size or {"width": 1400, "height": 900}
        self.page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], int(height))})
        try:
            self.settle()
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(viewport)
        return path
