"""Maps drawn with Altair's geoshape, offline: the outlines and positions of q2030.geo.

- `departements_map`: départements coloured by their coverage rate (Vue nationale: all 101,
  overseas in insets on the left; Ma région: its départements). The outlines (170 Ko) are a
  static file the browser fetches by URL and keeps (`outlines_url`); each run of the page sends
  only the figures, joined to the outlines in the browser by a Vega-Lite `lookup` on the code
  (205 Ko sent on every run of Vue nationale before);
- `quartiers_map`: one département, each quartier a point coloured *and shaped* by its status
  (colour is never the only cue), and each meeting held at the scale of a commune or an EPCI
  a diamond joined by a line to every quartier it covered.

Every map is drawn beside a table of the same figures (the caller's job).
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from q2030 import geo
from q2030.db import PROJECT_ROOT, session_scope
from q2030.frontieres import JsonValeur
from q2030.ui.charts import STATUS_COLORS
from q2030.ui.shell import BLEU_FRANCE, engine

PROJECTION = {"type": "identity", "reflectY": True}
STATUS_SHAPES = {
    "Couvert dans les délais": "circle",
    "Couvert en retard": "square",
    "Rencontre prévue": "triangle-up",
    "Non couvert": "cross",
}
COVERAGE_SCALE = alt.Scale(domain=[0, 0.5, 1], range=["#ce0500", "#f5f5fe", BLEU_FRANCE], interpolate="rgb")
NO_QPV = "#e5e5e5"
DROM_NAMES = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}


# Served by Streamlit's static file serving (`server.enableStaticServing`): static/geo/ (git-ignored).
OUTLINES_FOLDER = PROJECT_ROOT / "static" / "geo"
OUTLINES_PATH = "app/static/geo/departements.json"  # relative to the page, like the fonts in config.toml


@st.cache_resource(show_spinner=False)
def outlines_url() -> str:
    """The URL of the département outlines, written into static/ once per process; the digest of
    their content in the query string renews the browser's copy when the outlines change."""
    return f"{OUTLINES_PATH}?v={geo.publish_outlines(OUTLINES_FOLDER)}"


def _figures(by_dep: pd.DataFrame, codes: list[str] | None) -> list[dict[str, JsonValeur]]:
    """The coverage figures of each département drawn (no QPV: 0, and no rate)."""
    figures = by_dep.set_index("code")[["qpv", "couverts", "taux_couverts"]].to_dict("index")
    rows = []
    for feature in geo.departement_features(codes):
        code = feature["properties"]["code"]
        row = figures.get(code, {})
        qpv = int(row.get("qpv", 0) or 0)
        rows.append(
            {
                "code": code,
                "qpv": qpv,
                "couverts": int(row.get("couverts", 0) or 0),
                "taux": float(row.get("taux_couverts", 0) or 0) if qpv else None,
            }
        )
    return rows


# The national map's click selection: Streamlit returns {CLIC: [{"code": "93"}]} (q2030.ui.coverage).
CLIC = "departement_clique"


def departements_map(
    by_dep: pd.DataFrame, title: str, codes: list[str] | None = None, selectable: bool = False
) -> alt.TopLevelMixin:
    """Départements coloured by coverage rate: red for "nothing yet", bleu France when complete.

    `selectable`: a click on a département selects its code (selection parameter `CLIC`)."""
    figures = _figures(by_dep, codes)
    shown = [row["code"] for row in figures]
    outlines = alt.Chart(
        alt.Data(url=outlines_url(), format=alt.DataFormat(type="json", property="features")),  # type: ignore[no-untyped-call]  # altair.Data takes **kwds
        title=title,
    ).transform_calculate(code="datum.properties.code")
    if codes is not None:  # a région: its départements only (the projection fits them)
        outlines = outlines.transform_filter(alt.FieldOneOfPredicate(field="code", oneOf=shown))
    shapes = (
        outlines.transform_lookup(
            lookup="code",
            from_=alt.LookupData(data=alt.Data(values=figures), key="code", fields=["qpv", "couverts", "taux"]),  # type: ignore[no-untyped-call]  # as above
        )
        .mark_geoshape(stroke="white", strokeWidth=0.7, cursor="pointer" if selectable else "auto")
        .encode(
            color=alt.condition(
                "datum.qpv > 0",
                alt.Color(
                    "taux:Q",
                    title="Taux de couverture",
                    scale=COVERAGE_SCALE,
                    legend=alt.Legend(format="%", orient="bottom"),
                ),
                alt.value(NO_QPV),
            ),
            tooltip=[
                alt.Tooltip("properties.nom:N", title="Département"),
                alt.Tooltip("code:N", title="Code"),
                alt.Tooltip("qpv:Q", title="QPV"),
                alt.Tooltip("couverts:Q", title="QPV couverts"),
                alt.Tooltip("taux:Q", title="Taux de couverture", format=".0%"),
            ],
        )
        .project(**PROJECTION)
    )
    if selectable:
        shapes = shapes.add_params(alt.selection_point(name=CLIC, fields=["code"], on="click", clear=False))
    layers: list[alt.Chart] = [shapes]
    insets = [code for code in DROM_NAMES if code in shown]
    if codes is None and insets:  # the national map: name each overseas inset under its box
        names = []
        for code in insets:
            bounds = geo.departement_bounds(code)
            if bounds is not None:
                names.append({"x": (bounds[0] + bounds[2]) / 2, "y": bounds[1] - 0.15, "nom": DROM_NAMES[code]})
        layers.append(
            alt.Chart(pd.DataFrame(names))
            .mark_text(fontSize=10, baseline="top", color="#3a3a3a")
            .encode(longitude="x:Q", latitude="y:Q", text="nom:N")
            .project(**PROJECTION)
        )
    if codes is not None and len(codes) <= 15:  # a région: each département's code on it
        centres = [
            {"x": c[0], "y": c[1], "code": code} for code in codes if (c := geo.departement_centre(code)) is not None
        ]
        layers.append(
            alt.Chart(pd.DataFrame(centres))
            .mark_text(fontSize=12, fontWeight="bold", color="#161616", stroke="white", strokeWidth=3)
            .encode(longitude="x:Q", latitude="y:Q", text="code:N")
            .project(**PROJECTION)
        )
        layers.append(
            alt.Chart(pd.DataFrame(centres))
            .mark_text(fontSize=12, fontWeight="bold", color="#161616")
            .encode(longitude="x:Q", latitude="y:Q", text="code:N")
            .project(**PROJECTION)
        )
    return alt.layer(*layers).properties(height=520 if codes is None else 400)


def quartiers_map(dep: str, points: pd.DataFrame, meetings: pd.DataFrame, title: str) -> alt.TopLevelMixin:
    """One département: its outline, a point per quartier (columns qpv_nom, qpv_code, communes,
    statut_libelle, detail, x, y), a diamond per commune/EPCI meeting (rencontre, libelle, x, y)
    and its lines to the quartiers it covered (x, y, x2, y2)."""
    outline = (
        alt.Chart(alt.Data(values=geo.departement_features([dep])), title=title)  # type: ignore[no-untyped-call]  # altair.Data takes **kwds, as above
        .mark_geoshape(fill="#f6f6f6", stroke="#929292", strokeWidth=1)
        .project(**PROJECTION)
    )
    layers: list[alt.Chart] = [outline]
    if not meetings.empty:
        links = meetings.dropna(subset=["x2", "y2"])
        layers.append(
            alt.Chart(links)
            .mark_rule(color="#666666", strokeWidth=1, strokeDash=[3, 2])
            .encode(longitude="x:Q", latitude="y:Q", longitude2="x2:Q", latitude2="y2:Q")
            .project(**PROJECTION)
        )
    placed = points.dropna(subset=["x", "y"])
    tooltip = [
        alt.Tooltip("qpv_nom:N", title="Quartier"),
        alt.Tooltip("communes:N", title="Communes"),
        alt.Tooltip("statut_libelle:N", title="Statut"),
        alt.Tooltip("detail:N", title="Rencontre"),
    ]
    if "etape" in placed.columns:
        tooltip.append(alt.Tooltip("etape:N", title="Déclarations des organisateurs"))
    layers.append(
        alt.Chart(placed)
        .mark_point(filled=True, size=90, opacity=1, stroke="#161616", strokeWidth=0.6)
        .encode(
            longitude="x:Q",
            latitude="y:Q",
            color=alt.Color(
                "statut_libelle:N",
                title="Statut du quartier",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                legend=alt.Legend(
                    orient="bottom",
                    direction="vertical",
                    columns=2,
                    labelLimit=260,
                    symbolSize=120,
                    symbolStrokeColor="#161616",
                    symbolStrokeWidth=0.6,
                ),
            ),
            shape=alt.Shape(
                "statut_libelle:N",
                title="Statut du quartier",
                scale=alt.Scale(domain=list(STATUS_SHAPES), range=list(STATUS_SHAPES.values())),
            ),
            tooltip=tooltip,
        )
        .project(**PROJECTION)
    )
    if "declarees" in placed.columns:  # the référents' map: a ring marks a declaration awaiting validation
        layers.append(
            alt.Chart(placed[placed["declarees"] > 0])
            .mark_point(shape="circle", filled=False, size=380, stroke="#000091", strokeWidth=2.5, opacity=1)
            .encode(longitude="x:Q", latitude="y:Q", tooltip=tooltip)
            .project(**PROJECTION)
        )
    if not meetings.empty:
        centres = meetings.drop_duplicates("rencontre")
        layers.append(
            alt.Chart(centres)
            .mark_point(shape="diamond", filled=True, size=170, color="#161616", stroke="white", strokeWidth=1)
            .encode(
                longitude="x:Q",
                latitude="y:Q",
                tooltip=[
                    alt.Tooltip("libelle:N", title="Rencontre à l'échelle d'un territoire"),
                    alt.Tooltip("quartiers:Q", title="Quartiers couverts"),
                ],
            )
            .project(**PROJECTION)
        )
    return alt.layer(*layers).properties(height=420)


# --- Data for the quartiers map (cached, plain values) -------------------------------------


@st.cache_data(show_spinner=False, max_entries=128)
def quartier_positions(dep: str, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return geo.quartier_positions(session, departement_code=dep)


@st.cache_data(show_spinner=False, max_entries=128)
def territory_meetings(dep: str, au: dt.date, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return geo.rencontres_de_territoire(session, departement_code=dep, au=au)
