"""Load test: N concurrent browser sessions on « Vue nationale », the server's CPU per page view.

    python -m benchmarks.charge_nationale --database sqlite:////tmp/nat.db --sessions 25 --views 4

Starts `streamlit run streamlit_app.py` on the loopback (127.0.0.1, a free port) over the
given database (fill it first: `python -m q2030 demo --scale national`), opens N Chromium
tabs (Debian's /usr/bin/chromium through Playwright), each a Streamlit session signed in as
the commission (demo mode) and warmed on Vue nationale; then every session goes back and
forth between Accueil and Vue nationale `--views` times, all at once. Reported: page views
served, errors (an exception drawn in a page, or a traceback in the server log), the
server's CPU seconds (user + system, from /proc) over the measured phase divided by the
page views, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from q2030.nomenclature import ROLES  # noqa: E402
from tests.browser_support import _IDLE_JS, CHROMIUM, CHROMIUM_ARGS, start_app  # noqa: E402

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

WAIT_MS = 180_000


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (and its waited-for children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


async def settle(page: Page) -> None:
    await page.wait_for_timeout(100)
    await page.wait_for_function(_IDLE_JS, timeout=WAIT_MS)


async def follow(page: Page, label: str, heading: str) -> None:
    await (
        page.locator('[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]')
        .filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        .click()
    )
    await page.locator('[data-testid="stApp"] h1').filter(has_text=heading).first.wait_for(timeout=WAIT_MS)
    await settle(page)


async def errors_on(page: Page) -> int:
    return await page.locator('[data-testid="stException"]').count()


async def open_session(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(url)
    await page.locator('[data-testid="stApp"] h1').first.wait_for()
    await settle(page)
    box = page.locator(".st-key-widget_role input")
    await box.click()
    await box.fill(ROLES["commission"])
    await page.locator('[role="option"]', has_text=ROLES["commission"]).first.wait_for()
    await page.keyboard.press("Enter")
    await box.blur()
    await settle(page)
    await follow(page, "Vue nationale", "Vue nationale")  # warm: fills the caches
    return context, page


async def run(database_url: str, sessions: int, views: int) -> int:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory(prefix="q2030-charge-") as workdir:
        server = start_app(database_url, Path(workdir))
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                started = time.perf_counter()
                opened = await asyncio.gather(*(open_session(browser, server.url) for _ in range(sessions)))
                print(f"{sessions} sessions ouvertes et chauffées en {time.perf_counter() - started:.1f} s")
                load_before = os.getloadavg()
                cpu_before, wall = cpu_seconds(server.process.pid), time.perf_counter()

                async def browse(page: Page) -> int:
                    found = 0
                    for _ in range(views):
                        await follow(page, "Accueil", "Quartiers 2030")
                        await follow(page, "Vue nationale", "Vue nationale")
                        found += await errors_on(page)
                    return found

                errors = sum(await asyncio.gather(*(browse(page) for _context, page in opened)))
                cpu = cpu_seconds(server.process.pid) - cpu_before
                wall = time.perf_counter() - wall
                load_after = os.getloadavg()
                for context, _page in opened:
                    await context.close()
                await browser.close()
        finally:
            server.stop()
        tracebacks = server.log_tail(2_000_000).count("Traceback")
    page_views = sessions * views * 2
    print(
        f"pages servies : {page_views} ({sessions} sessions × {views} × Accueil + Vue nationale) en {wall:.1f} s ; "
        f"erreurs dans les pages : {errors} ; tracebacks du serveur : {tracebacks}"
    )
    print(
        f"CPU du serveur : {cpu:.1f} s, soit {cpu / page_views:.3f} s par page vue "
        f"({cpu / (sessions * views):.3f} s par passage Accueil + Vue nationale)"
    )
    print(f"charge moyenne (1, 5, 15 min) : avant {load_before}, après {load_after}")
    return 0 if errors == 0 and tracebacks == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("Q2030_DATABASE_URL", "sqlite:///data/q2030.db"))
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--views", type=int, default=4, help="allers-retours Accueil / Vue nationale par session")
    args = parser.parse_args()
    return asyncio.run(run(args.database, args.sessions, args.views))


if __name__ == "__main__":
    sys.exit(main())
