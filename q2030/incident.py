"""Incident references: what a user is shown instead of an error's details (pages and
command line); the details go to the server log under the same reference."""

from __future__ import annotations

import datetime as dt
import secrets


def reference() -> str:
    """« 20261203-3F9A2C »: the day (UTC) and six random hexadecimal digits."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(3).upper()}"
