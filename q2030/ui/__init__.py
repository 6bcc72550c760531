"""Streamlit layer: the only part of q2030 that imports streamlit.

Pages call `page_setup(...)` first, then services through the cached loaders here.
"""

from q2030.ui.shell import (
    PAGES,
    current_actor,
    data_version,
    engine,
    page_footer,
    page_setup,
    show_error,
)

__all__ = [
    "PAGES",
    "current_actor",
    "data_version",
    "engine",
    "page_footer",
    "page_setup",
    "show_error",
]
