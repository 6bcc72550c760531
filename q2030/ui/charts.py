"""The charts of the pages, and how they are rendered without re-validating their JSON schema
on every rerun.

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

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.vega_charts import VegaLiteState

from q2030.coverage import ProjectionValeurs
from q2030.formatting import fr_date, fr_number
from q2030.frontieres import JsonValeur
from q2030.graphiques import (  # the pages' chart vocabulary, shared with the documents
    BAR_STEP as BAR_STEP,
)  # fmt: skip
from q2030.graphiques import (
    FR_LOCALE as FR_LOCALE,
)
from q2030.graphiques import (
    STATUS_COLORS as STATUS_COLORS,
)
from q2030.graphiques import (
    bar_height as bar_height,
)
from q2030.graphiques import (
    barres_themes as barres_themes,
)
from q2030.graphiques import (
    bottom_legend as bottom_legend,
)
from q2030.graphiques import (
    long_status as long_status,
)
from q2030.graphiques import (
    participation_chart as participation_chart,
)
from q2030.graphiques import (
    status_chart as status_chart,
)
from q2030.referentiel import DEPARTEMENTS
from q2030.tilemap import TILES
from q2030.ui.shell import BLEU_FRANCE

_NO_FIT_X = ("hconcat", "facet", "repeat", "concat")


def chart_spec(chart: alt.TopLevelMixin, *, stretch: bool = True) -> dict[str, JsonValeur]:
    spec = chart.to_dict(validate=False)
    spec.setdefault("config", {})["locale"] = FR_LOCALE
    # Vega writes English ARIA descriptions of every axis, legend and mark ("X-axis titled …",
    # "Vega visualization"): off. Screen readers get the chart's French title (description) and
    # the data table drawn beside every chart.
    for part in ("mark", "axis", "legend", "title"):
        spec["config"].setdefault(part, {})["aria"] = False
    spec.setdefault("description", _title_text(spec) or "Graphique")
    if stretch and not any(key in spec for key in _NO_FIT_X):
        spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    return spec


def _title_text(spec: dict[str, JsonValeur]) -> str:
    """The chart's title, or the first layer's, as plain text."""
    for candidate in (spec, *spec.get("layer", []), *spec.get("vconcat", []), *spec.get("hconcat", [])):
        title = candidate.get("title") if isinstance(candidate, dict) else None
        if isinstance(title, dict):
            title = title.get("text")
        if isinstance(title, list):
            title = " ".join(str(t) for t in title)
        if title:
            return str(title)
    return ""


_BUILDERS: dict[str, Callable[..., alt.TopLevelMixin]] = {}


def cached_chart(
    builder: Callable[..., alt.TopLevelMixin], *args: object, stretch: bool = True
) -> dict[str, JsonValeur]:
    """The spec of `builder(*args)`, built once per distinct arguments (data frames hashed by
    content) and shared by every session: building an Altair chart validates each encoding,
    tens of milliseconds per chart on every rerun otherwise."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    _BUILDERS[name] = builder
    return _cached_spec(name, args, stretch)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_spec(name: str, args: tuple[object, ...], stretch: bool) -> dict[str, JsonValeur]:
    return chart_spec(_BUILDERS[name](*args), stretch=stretch)


def show_chart(
    chart: alt.TopLevelMixin | dict[str, JsonValeur],
    *,
    stretch: bool = True,
    key: str | None = None,
    on_select: Callable[[], None] | None = None,
) -> DeltaGenerator | VegaLiteState:
    """Draw the chart; with `key`, its selection parameters rerun the page and the selection is returned
    (Streamlit's VegaLiteState: `state.selection[name]` lists the selected values). `on_select` is
    then called before the rerun, the selection being in `st.session_state[key]`."""
    spec = chart if isinstance(chart, dict) else chart_spec(chart, stretch=stretch)
    if key is not None:
        return st.vega_lite_chart(
            spec, width="stretch" if stretch else "content", key=key, on_select=on_select or "rerun"
        )
    if stretch:
        return st.vega_lite_chart(spec, width="stretch")
    return st.vega_lite_chart(spec)


def tile_map_chart(by_dep: pd.DataFrame) -> alt.LayerChart:
    """The 101 départements as tiles coloured by coverage rate; grey where there is no QPV."""
    tiles = pd.DataFrame(
        [{"code": code, "col": col, "row": row, "nom": DEPARTEMENTS[code][0]} for code, (col, row) in TILES.items()]
    )
    data = tiles.merge(by_dep[["code", "qpv", "couverts", "taux_couverts"]], on="code", how="left")
    data["qpv"] = data["qpv"].fillna(0).astype(int)
    data["couverts"] = data["couverts"].fillna(0).astype(int)
    base = alt.Chart(data, title="Taux de couverture par département").encode(
        x=alt.X("col:O", axis=None),
        y=alt.Y("row:O", axis=None),
        tooltip=[
            alt.Tooltip("nom:N", title="Département"),
            alt.Tooltip("code:N", title="Code"),
            alt.Tooltip("qpv:Q", title="QPV"),
            alt.Tooltip("couverts:Q", title="QPV couverts"),
            alt.Tooltip("taux_couverts:Q", title="Taux de couverture", format=".0%"),
        ],
    )
    rects = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.condition(
            "datum.qpv > 0",
            alt.Color(
                "taux_couverts:Q",
                title="Taux de couverture",
                # "Nothing yet" stands out in red; half-way is pale; full coverage is bleu France.
                scale=alt.Scale(domain=[0, 0.5, 1], range=["#ce0500", "#f5f5fe", BLEU_FRANCE]),
                legend=alt.Legend(format="%", orient="bottom"),
            ),
            alt.value("#e5e5e5"),
        )
    )
    ink = alt.condition(
        "datum.qpv > 0 && (datum.taux_couverts > 0.6 || datum.taux_couverts < 0.2)",
        alt.value("white"),
        alt.value("#161616"),
    )
    labels = base.mark_text(fontSize=10, dy=-6).encode(text="code:N", color=ink)
    rates = (
        base.transform_filter("datum.qpv > 0")
        .mark_text(fontSize=9, dy=7)
        .encode(text=alt.Text("taux_couverts:Q", format=".0%"), color=ink)
    )
    tiles_chart: alt.LayerChart = rects + labels + rates
    return tiles_chart.properties(width=13 * 38, height=15 * 38)


def burnup_chart(frame: pd.DataFrame, projection: ProjectionValeurs, title: str) -> alt.LayerChart:
    data = frame.assign(date=pd.to_datetime(frame["date"]), serie="Réalisé")
    layers = [
        alt.Chart(data)
        .mark_line(color=BLEU_FRANCE, interpolate="step-after")
        .encode(
            x=alt.X("date:T", title="Date", axis=alt.Axis(format="%d/%m/%Y")),
            y=alt.Y("couverts:Q", title="QPV couverts (cumul)", scale=alt.Scale(domain=[0, max(1, projection["qpv"])])),
            tooltip=[
                alt.Tooltip("date:T", title="Date", format="%d/%m/%Y"),
                alt.Tooltip("couverts:Q", title="QPV couverts"),
                alt.Tooltip("taux:Q", title="Taux", format=".1%"),
            ],
        )
    ]
    deadline = pd.DataFrame(
        {
            "date": [pd.Timestamp(projection["echeance"])],
            "libelle": ["Échéance des rencontres"],
            "texte": [f"Échéance des rencontres : {fr_date(projection['echeance'])}"],
        }
    )
    layers.append(
        alt.Chart(deadline)
        .mark_rule(color="#ce0500", strokeDash=[4, 4])
        .encode(
            x="date:T", tooltip=[alt.Tooltip("libelle:N", title="Repère"), alt.Tooltip("date:T", format="%d/%m/%Y")]
        )
    )
    # Each reference line says what it is, on the chart itself (no legend to decode).
    layers.append(
        alt.Chart(deadline)
        .mark_text(align="right", baseline="top", dx=-4, dy=4, color="#ce0500")
        .encode(x="date:T", y=alt.value(0), text="texte:N")
    )
    total = pd.DataFrame(
        {
            "couverts": [projection["qpv"]],
            "libelle": ["Total des QPV"],
            "texte": [f"Total des QPV : {fr_number(projection['qpv'])}"],
        }
    )
    layers.append(
        alt.Chart(total).mark_rule(color="#666666").encode(y="couverts:Q", tooltip=["libelle:N", "couverts:Q"])
    )
    layers.append(
        alt.Chart(total)
        .mark_text(align="left", baseline="top", dx=4, dy=4, color="#3a3a3a")
        .encode(x=alt.value(0), y="couverts:Q", text="texte:N")
    )
    if projection["au"] < projection["echeance"]:
        line = pd.DataFrame(
            {
                "date": [pd.Timestamp(projection["au"]), pd.Timestamp(projection["echeance"])],
                "couverts": [projection["couverts_au"], projection["couverts_projetes"]],
            }
        )
        line["texte"] = ["", "Projection au rythme actuel"]
        layers.append(
            alt.Chart(line)
            .mark_text(align="right", baseline="bottom", dx=-6, dy=-6, color=BLEU_FRANCE)
            .encode(x="date:T", y="couverts:Q", text="texte:N")
        )
        layers.append(
            alt.Chart(line)
            .mark_line(color=BLEU_FRANCE, strokeDash=[6, 4])
            .encode(
                x="date:T",
                y="couverts:Q",
                tooltip=[
                    alt.Tooltip("date:T", format="%d/%m/%Y", title="Date"),
                    alt.Tooltip("couverts:Q", title="Projection"),
                ],
            )
        )
    return alt.LayerChart(layer=layers, title=title).properties(height=320)
