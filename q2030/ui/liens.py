"""Lists of links (« À faire » on the home page and in Mon département), drawn a page at a time.

At national volume a référent's lists hold hundreds of lines (311 in the 93 of the national
demo): one `st.page_link` each cost a third of the page's script time and as many elements in
the browser. A list shows its first `PAGE` lines; « Afficher les suivants » adds the next ones
inside a fragment, so only the list reruns.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from q2030.formatting import fr_number

PAGE = 10  # lines shown at first (a block shows 6 to 8, then scrolls), and added by each « Afficher les suivants »


def _more(state_key: str) -> None:
    st.session_state[state_key] = int(st.session_state.get(state_key, PAGE)) + PAGE


@st.fragment
def link_list(
    links: list[tuple[str, str, dict[str, str]]],
    *,
    key: str,
    empty: str,
    scroll_above: int,
    height: int,
) -> None:
    """A bordered block of links (page, label, query), `PAGE` at a time; it scrolls inside the
    block beyond `scroll_above` lines. `links` are (page path, label, query parameters)."""
    state_key = f"{key}_affiches"
    shown = min(len(links), int(st.session_state.get(state_key, PAGE)))
    block_height: int | Literal["content"] = height if shown > scroll_above else "content"
    with st.container(border=True, key=key, height=block_height):
        if not links:
            st.caption(empty)
        for page, label, query in links[:shown]:
            st.page_link(page, label=label, query_params=query)
    rest = len(links) - shown
    if rest > 0:
        st.button(
            f"Afficher les {fr_number(min(PAGE, rest))} suivants ({fr_number(rest)} restants)",
            key=f"{key}_plus",
            on_click=_more,
            args=(state_key,),
        )
