"""Confirmations next to the control that triggered them, not at the top of the page.

A button that writes and reruns calls `annoncer(key, message)`; the page calls `a_cote(key)`
right under that button: the message is drawn there, once, on the next run. A button that
does not rerun calls `ici(key, message)` right after itself.
"""

from __future__ import annotations

import streamlit as st

from q2030.ui.shell import escape_markdown

_KINDS = ("success", "info", "warning", "error")
_PREFIX = "notice_"


def annoncer(key: str, message: str, kind: str = "success") -> None:
    """Keep a confirmation for the control `key` until the page draws `a_cote(key)`."""
    if kind not in _KINDS:
        raise ValueError(kind)
    pending: list[tuple[str, str]] = st.session_state.setdefault(_PREFIX + key, [])
    pending.append((kind, message))


def a_cote(key: str) -> bool:
    """Draw here the confirmations kept for the control `key` (then forget them); True if any."""
    pending: list[tuple[str, str]] = st.session_state.pop(_PREFIX + key, [])
    if pending:
        with st.container(key=f"{_PREFIX}{key}"):
            for kind, message in pending:
                getattr(st, kind)(escape_markdown(message))
    return bool(pending)


def ici(key: str, message: str, kind: str = "success") -> None:
    """Draw a confirmation here, at once (the control just above did not rerun the page)."""
    annoncer(key, message, kind)
    a_cote(key)
