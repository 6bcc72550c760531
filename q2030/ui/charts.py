"""Render Altair charts without re-validating their JSON schema on every rerun.

`st.altair_chart` validates the whole Vega-Lite spec with jsonschema each time the script
runs (a third of a second for a page of four charts on this machine). Charts built here
come from typed code, tested with `chart.to_dict()`: the spec is emitted unvalidated and
handed to `st.vega_lite_chart`, which ships the inline datasets as Arrow just the same.
"""

from __future__ import annotations

import altair as alt
import streamlit as st


def show_chart(chart: alt.TopLevelMixin, *, stretch: bool = True) -> None:
    spec = chart.to_dict(validate=False)
    if stretch:
        st.vega_lite_chart(spec, width="stretch")
    else:
        st.vega_lite_chart(spec)
