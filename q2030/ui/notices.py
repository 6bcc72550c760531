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


def en_attente(key: str) -> bool:
    """True if a confirmation is kept for the control `key` (drawn by the next `a_cote`)."""
    return bool(st.session_state.get(_PREFIX + key))


def ici(key: str, message: str, kind: str = "success") -> None:
    """Draw a confirmation here, at once (the control just above did not rerun the page)."""
    annoncer(key, message, kind)
    a_cote(key)


# Scrolls the element of `key` to the top of the view once the run that drew it is over (the
# page's own layout settles first); a nonce makes each call a new script, hence run once.
_SCROLL_JS = """<script>
(() => {{
  const started = Date.now();
  const go = () => {{
    const app = document.querySelector('[data-testid="stApp"]');
    const target = document.querySelector('.st-key-{key}');
    const idle = app && app.getAttribute('data-test-script-state') === 'notRunning';
    if (target && idle) {{
      target.style.scrollMarginTop = '4.5rem';  // below Streamlit's fixed header (sidebar button)
      target.scrollIntoView({{block: 'start'}});
      const field = target.querySelector('input, textarea, [role="radiogroup"] input');
      if (field) field.focus({{preventScroll: true}});
    }} else if (Date.now() - started < 10000) {{
      setTimeout(go, 100);
    }}
  }};
  setTimeout(go, 50);  // {nonce}
}})();
</script>"""


def faire_defiler(key: str) -> None:
    """Bring the element created with `key=` into view (top of the screen) after this run."""
    import uuid

    st.html(_SCROLL_JS.format(key=key, nonce=uuid.uuid4().hex), unsafe_allow_javascript=True)
