"""Streamlit layer: the only part of q2030 that imports streamlit.

Pages call `run_page(key, render)` (page_setup, then the page, inside the error boundary);
the page calls services through the cached loaders here.
"""

from q2030.ui.shell import (
    PAGES,
    current_actor,
    data_version,
    engine,
    page_footer,
    page_setup,
    run_page,
    run_public_page,
    show_error,
)

__all__ = [
    "PAGES",
    "current_actor",
    "data_version",
    "engine",
    "page_footer",
    "page_setup",
    "run_page",
    "run_public_page",
    "show_error",
]
