"""The one place the application reads the calendar.

Services take the day as an argument (`au`, `today`, `aujourd_hui`) and only fall back on
`today()`; a test or a replay passes its own date. The server's local day is the users' day
(the service runs on French time): ruff's DTZ rules forbid reading the clock anywhere else.
"""

from __future__ import annotations

import datetime as dt


def today() -> dt.date:
    """Today's date on the server."""
    return dt.date.today()  # noqa: DTZ011 - the single, deliberate read of the local calendar
