"""The page boundary: an unexpected error shows a French message with an incident
reference, never a traceback, a server path or a SQL statement; the details go to the
server log under the same reference (the administrator finds them by it).

Streamlit's own uncaught-error box is also stripped of details (`[client]
showErrorDetails = "none"` in .streamlit/config.toml) in case anything escapes this.
Streamlit's control flow (st.rerun, st.stop, st.switch_page) raises BaseException
subclasses: `except Exception` lets it through.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from q2030 import incident

logger = logging.getLogger("q2030.incidents")
# References of this process's incidents, newest last (the test suite checks it stays empty).
INCIDENTS: deque[str] = deque(maxlen=200)


# The message's first sentence (browser tests look for it on every page they drive).
ENTETE = "Une erreur inattendue empêche d'afficher cette page."


def message(reference: str) -> str:
    return (
        f"{ENTETE} Rechargez-la ; si l'erreur persiste, "
        f"transmettez à l'administrateur la référence d'incident **{reference}**."
    )


@contextmanager
def page_boundary(page: str) -> Iterator[None]:
    """Run a page's body; on an unexpected error, log it with a reference and say so in French."""
    try:
        yield
    except Exception:
        reference = incident.reference()
        logger.exception("Incident %s : erreur inattendue sur la page « %s »", reference, page)
        INCIDENTS.append(reference)
        st.error(message(reference))
