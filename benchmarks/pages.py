"""Page timings for the benchmark: each page's script run through AppTest, warm cache.

Drives Streamlit's AppTest: the one module of the benchmark that imports streamlit.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.measures import DEPARTEMENT, Measure
from q2030.access import ECRANS
from q2030.db import PROJECT_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.browser_support import AppPage, AppServer


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
            role = role_for.get(key, "admin" if "admin" in ECRANS[key] else sorted(ECRANS[key])[0])
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


# --- In Chromium: what a person waits for --------------------------------------------------------

# A run counts once the app has been seen running after the click, then at rest: without the
# first condition a click whose rerun had not started within settle's pause measured the page
# left behind (same counts for every page of a role, under load). "Seen running" reads each
# change's old value too: a quick run can go to "running" and back before the observer is called,
# which then found "notRunning" only and waited for ever (Priorités and Codage of the commission,
# « non mesurée (TimeoutError) » after 5 minutes, once each); and a run whose two state changes
# React drew at once shows no change at all: a new page title (h1) says the run happened too.
# A filter changed on the same page has no new title, and its two state changes can be drawn at
# once too (a filter measurement waited 5 minutes, 06/12/2026): the server's own end-of-run message
# says the run happened. A hook on the page's WebSocket, installed before the app opens it, walks
# the top-level fields of each ForwardMsg (protobuf: a varint key, then a varint, 8 bytes, a
# length and its bytes, or 4 bytes) and counts those holding script_finished (field 6); it comes
# after the metadata (field 2), so it is not the first byte.
_COUNT_FINISHED_JS = """(() => {
  window.__q2030_finished = 0;
  const varint = (bytes, at) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, at];
  };
  const finishes = (bytes) => {
    let at = 0, key, size;
    while (at < bytes.length) {
      [key, at] = varint(bytes, at);
      if (key >>> 3 === 6) return true;
      const wire = key & 7;
      if (wire === 0) [, at] = varint(bytes, at);
      else if (wire === 1) at += 8;
      else if (wire === 2) { [size, at] = varint(bytes, at); at += size; }
      else if (wire === 5) at += 4;
      else return false;
    }
    return false;
  };
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener('message', (event) => {
      if (event.data instanceof ArrayBuffer && finishes(new Uint8Array(event.data))) window.__q2030_finished += 1;
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})();"""
_WATCH_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const title = document.querySelector('[data-testid="stMain"] h1');
  window.__q2030_title = title ? title.textContent : null;
  window.__q2030_ran = false;
  window.__q2030_finished_before = window.__q2030_finished;
  if (!window.__q2030_watch) {
    window.__q2030_watch = new MutationObserver(() => { window.__q2030_ran = true; });
    window.__q2030_watch.observe(
      app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  }
}"""
_RAN_AND_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const title = document.querySelector('[data-testid="stMain"] h1');
  const moved = title !== null && title.textContent !== window.__q2030_title;
  const finished = window.__q2030_finished > window.__q2030_finished_before;
  return (window.__q2030_ran === true || moved || finished)
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]');
}"""

_COUNTS_JS = """() => ({
  elements: document.querySelectorAll('[data-testid="stApp"] *').length,
  widgets: document.querySelectorAll('[data-testid="stApp"] [class*="st-key-"]').length,
  tables: document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stTable"]').length,
  charts: document.querySelectorAll('[data-testid="stVegaLiteChart"], [data-testid="stDeckGlJsonChart"]').length,
})"""


@contextmanager
def _served_in_chromium(database_url: str) -> Iterator[tuple[AppServer, Browser]]:
    """A real `streamlit run` server on a free port and Debian's Chromium (the browser tests'
    machinery)."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from tests import browser_support
    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, start_app

    browser_support.WAIT_MS = 300_000  # a first, cold page at national volume on a loaded machine
    with tempfile.TemporaryDirectory() as workdir:
        server = start_app(database_url, Path(workdir))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                yield server, browser
                browser.close()
        finally:
            server.stop()


def _new_tab(server: AppServer, browser: Browser, role: str, departement: str | None = None) -> AppPage:
    """A new session (its own context) signed in as `role` in demo mode, with the end-of-run hook."""
    from q2030.nomenclature import ROLES
    from tests import browser_support
    from tests.browser_support import AppPage

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
    context.add_init_script(_COUNT_FINISHED_JS)
    app = AppPage(context.new_page(), server.url)
    app.page.set_default_timeout(browser_support.WAIT_MS)
    app.open("/")
    app.choose("widget_role", ROLES[role])
    if departement:
        app.choose("widget_departement", departement)
    return app


def _timed(app: AppPage, action: Callable[[], object]) -> float:
    """Seconds from `action` (a click, a key) to the app at rest after the run it started."""
    app.page.evaluate(_WATCH_JS)
    started = time.perf_counter()
    action()
    app.page.wait_for_function(_RAN_AND_IDLE_JS, polling=20)
    return time.perf_counter() - started


def measure_in_browser(
    database_url: str, runs: int = 3, log: Callable[[str], None] = print, roles: list[str] | None = None
) -> list[dict[str, object]]:
    """Each page for each role that may see it, in Chromium: the time from a click on its sidebar
    link to the app at rest (script run and drawing), warm (the page was opened once before),
    with the page's element, widget, table and chart counts. Uses the browser tests' machinery
    (a real `streamlit run` server on a free port, Debian's Chromium)."""
    from q2030.ui.shell import PAGES

    results: list[dict[str, object]] = []
    every_role = {
        "referent": "93 – Seine-Saint-Denis",
        "prefet_region": None,
        "commission": None,
        "admin": None,
        "organisateur": "93 – Seine-Saint-Denis",
    }
    roles_shown = {role: dep for role, dep in every_role.items() if roles is None or role in roles}
    with _served_in_chromium(database_url) as (server, browser):
        for role, departement in roles_shown.items():
            app = _new_tab(server, browser, role, departement)
            links = app.page.locator('[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]')
            labels = [text.strip() for text in links.all_inner_texts()]
            for page in PAGES.values():
                if page.label not in labels or page.path == "streamlit_app.py":
                    continue
                public = page.path == PAGES["restitution"].path
                times = []
                try:
                    for attempt in range(runs + 1):  # the first visit fills the caches
                        if public and attempt:  # its sidebar has no link back: the browser's « back »
                            app.page.go_back()
                            app.page.locator('[data-testid="stSidebar"] a').first.wait_for()
                            app.settle()
                        app.navigate(labels[0] if labels[0] != page.label else labels[-1], "")
                        elapsed = _timed(app, links.filter(has_text=page.label).first.click)
                        if attempt:
                            times.append(elapsed)
                except Exception as error:  # one page that never settles: say so, go on
                    log(f"  {role:<14} {page.label:<32} non mesurée ({type(error).__name__})")
                    continue
                counts = app.page.evaluate(_COUNTS_JS)
                row = {"role": role, "page": page.label, "navigateur_s": statistics.median(times), **counts}
                results.append(row)
                log(
                    f"  {role:<14} {page.label:<32} {row['navigateur_s'] * 1000:8.0f} ms  "
                    f"{counts['elements']} éléments, {counts['widgets']} widgets, {counts['tables']} tableaux, "
                    f"{counts['charts']} graphiques"
                )
            app.page.context.close()
        log(f"  mémoire du serveur à la fin : {_server_memory(server.process.pid)}")
    return results


# Filters a commission member changes on Priorités, in order (each adds to the previous ones),
# then « Réinitialiser les filtres »: (widget key, option typed).
PRIORITES_FILTERS = (
    ("widget_filtre_public", "Jeunes"),
    ("widget_filtre_format", "Atelier"),
    ("widget_filtre_region", "Île-de-France"),
    ("widget_filtre_departement", "93 – Seine-Saint-Denis"),
)


def measure_filters_in_browser(
    database_url: str, runs: int = 3, log: Callable[[str], None] = print
) -> list[dict[str, object]]:
    """Priorités for the commission in Chromium: the time from choosing a filter (Enter in its
    list) to the app at rest, each filter added to the previous ones, then the reset; warm (the
    same sequence played once before)."""
    times: dict[str, list[float]] = {}
    with _served_in_chromium(database_url) as (server, browser):
        app = _new_tab(server, browser, "commission")
        app.navigate("Priorités des habitants", "Priorités")
        for attempt in range(runs + 1):
            for key, option in PRIORITES_FILTERS:
                box = app.keyed(key).locator("input")
                box.click()
                box.fill(option)
                app.page.locator('[role="option"]', has_text=option).first.wait_for()
                elapsed = _timed(app, lambda: app.page.keyboard.press("Enter"))
                if attempt:
                    times.setdefault(f"+ {option}", []).append(elapsed)
                box.blur()
            elapsed = _timed(app, app.keyed("filtres_reset").locator("button").click)
            if attempt:
                times.setdefault("Réinitialiser les filtres", []).append(elapsed)
        app.page.context.close()
    results: list[dict[str, object]] = []
    for step, values in times.items():
        results.append({"role": "commission", "page": f"Priorités : {step}", "navigateur_s": statistics.median(values)})
        log(f"  commission     Priorités : {step:<40} {statistics.median(values) * 1000:8.0f} ms")
    return results


def _server_memory(pid: int) -> str:
    """Resident memory of the Streamlit server now and at its peak (Linux /proc), in MiB: whether
    memory holds without Streamlit's full collection after each run (runner.postScriptGC)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
        fields = dict(line.split(":", 1) for line in status.splitlines())
    except OSError:
        return "inconnue"
    mib = {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}
    return f"{mib['VmRSS']:.0f} Mio (pic {mib['VmHWM']:.0f} Mio)"


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.pages URL`: page times in Chromium (warm) beside the script times (AppTest)."""
    import argparse

    from benchmarks.measures import refuser_base_vide
    from q2030.db import make_engine

    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=main.__doc__)
    parser.add_argument("url", help="base remplie (python -m q2030 demo --scale national)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--roles", help="rôles mesurés, séparés par des virgules (par défaut : tous)")
    parser.add_argument("--no-script", action="store_true", help="sans les temps de script (AppTest)")
    args = parser.parse_args(argv)
    roles = args.roles.split(",") if args.roles else None
    refuser_base_vide(make_engine(args.url))
    print(f"charge moyenne au début : {os.getloadavg()}")
    print("Navigateur (Chromium, clic sur le lien jusqu'à l'application au repos, cache chaud) :")
    measure_in_browser(args.url, args.runs, roles=roles)
    if roles is None or "commission" in roles:
        print("Filtres de la page Priorités (choix d'un filtre jusqu'à l'application au repos, cumulés) :")
        measure_filters_in_browser(args.url, args.runs)
    if not args.no_script:
        print("Script seul (AppTest, cache chaud) :")
        measure_pages(args.url, "", "", args.runs, print)
    print(f"charge moyenne à la fin : {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
