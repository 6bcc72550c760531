"""Two costs of Streamlit's AppTest (streamlit 1.67) paid once per process instead of per run.

- The component scan: every `AppTest` scans the installed distributions for custom components
  (`scan_component_manifests`, about 0.25 s of CPU each time on this machine, and it finds
  none). The installed packages do not change during a test run: scanned once per process.
- The wait for the script's end: `require_widgets_deltas` polls the runner every millisecond
  (`time.sleep(0.001)`), a thread that wakes a thousand times a second and takes the GIL
  from the script it waits for. Here the wait blocks on an event set when the runner reports
  SHUTDOWN, with the same timeout and the same error.

Installed once per test process by tests/conftest.py (`install()`).
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamlit.components.v2.manifest_scanner import ComponentManifest

_installed = False


def _wait_for_end(runner: Any, timeout: float = 3) -> None:
    """`require_widgets_deltas`, waiting on the runner's SHUTDOWN event instead of polling."""
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent

    ended = threading.Event()

    def on_event(_sender: object, event: object, **_kwargs: object) -> None:
        if event == ScriptRunnerEvent.SHUTDOWN:
            ended.set()

    runner.on_event.connect(on_event, weak=False)
    try:
        if runner.script_stopped() or ended.wait(timeout):
            return
    finally:
        runner.on_event.disconnect(on_event)
    runner.request_stop()
    runner.join()
    raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from streamlit.components.v2 import manifest_scanner
    from streamlit.testing.v1 import local_script_runner

    scanned = functools.cache(manifest_scanner.scan_component_manifests)

    def scan_once(max_workers: int | None = None) -> list[tuple[ComponentManifest, Path]]:
        return list(scanned(max_workers))  # a fresh list: a caller may change its own

    manifest_scanner.scan_component_manifests = scan_once
    local_script_runner.require_widgets_deltas = _wait_for_end
