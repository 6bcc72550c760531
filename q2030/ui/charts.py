"""Render Altair charts without re-validating their JSON schema on every rerun.

`st.altair_chart` validates the whole Vega-Lite spec with jsonschema each time the script
runs (a third of a second for a page of four charts on this machine). Charts built here
come from typed code, tested with `chart.to_dict()`: the spec is emitted unvalidated and
handed to `st.vega_lite_chart`, which ships the inline datasets as Arrow just the same.

Sizing: Streamlit's default autosize for a stretched chart is "fit", which squeezes title,
axes and legend *into* the spec height, so a bar chart with a bottom legend in a narrow
column shrank to a few pixels. "fit-x" stretches the width only: the spec height is the
plot height and the legend is added below it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import streamlit as st

BAR_STEP = 28  # pixels per bar of a horizontal bar chart
_NO_FIT_X = ("hconcat", "facet", "repeat", "concat")


def bar_height(bars: int, *, minimum: int = 60) -> int:
    """Plot height of a horizontal bar chart: BAR_STEP pixels per bar."""
    return max(minimum, BAR_STEP * bars)


def bottom_legend(**kwargs: object) -> alt.Legend:
    """Legend under the chart, two columns, labels long enough for French status names."""
    return alt.Legend(orient="bottom", direction="vertical", columns=2, title=None, labelLimit=260, **kwargs)


def chart_spec(chart: alt.TopLevelMixin, *, stretch: bool = True) -> dict:
    spec = chart.to_dict(validate=False)
    if stretch and not any(key in spec for key in _NO_FIT_X):
        spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    return spec


_BUILDERS: dict[str, Callable[..., alt.TopLevelMixin]] = {}


def cached_chart(builder: Callable[..., alt.TopLevelMixin], *args: Any, stretch: bool = True) -> dict:
    """The spec of `builder(*args)`, built once per distinct arguments (data frames hashed by
    content) and shared by every session: building an Altair chart validates each encoding,
    tens of milliseconds per chart on every rerun otherwise."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    _BUILDERS[name] = builder
    return _cached_spec(name, args, stretch)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_spec(name: str, args: tuple[Any, ...], stretch: bool) -> dict:
    return chart_spec(_BUILDERS[name](*args), stretch=stretch)


def show_chart(chart: alt.TopLevelMixin | dict, *, stretch: bool = True) -> None:
    spec = chart if isinstance(chart, dict) else chart_spec(chart, stretch=stretch)
    if stretch:
        st.vega_lite_chart(spec, width="stretch")
    else:
        st.vega_lite_chart(spec)
