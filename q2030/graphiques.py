"""Charts drawn the same way on the pages and in the documents (Altair, no Streamlit).

The pages show them through `q2030.ui.charts`; the synthèse départementale prints them as
PNG images (`en_png`, rendered offline by vl-convert), built by the same functions from the
same service data at the same date.
"""

from __future__ import annotations

import functools
import json

import altair as alt
import pandas as pd

from q2030.bureautique import BLEU_FRANCE
from q2030.formatting import fr_number, fr_percent
from q2030.frontieres import ArgumentLibre

BAR_STEP = 28  # pixels per bar of a horizontal bar chart


def bar_height(bars: int, *, minimum: int = 60) -> int:
    """Plot height of a horizontal bar chart: BAR_STEP pixels per bar."""
    return max(minimum, BAR_STEP * bars)


def bottom_legend(**kwargs: ArgumentLibre) -> alt.Legend:
    """Legend under the chart, two columns, labels long enough for French status names."""
    return alt.Legend(orient="bottom", direction="vertical", columns=2, title=None, labelLimit=260, **kwargs)


# d3's fr-FR locale, as Vega reads it (config.locale): axes and tooltips write "1 600",
# "32,5" and "32 %" (narrow no-break spaces), months and days in French.
FR_LOCALE: dict[str, dict[str, str | list[int] | list[str]]] = {
    "number": {
        "decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"], "percent": "\u202f%",
    },
    "time": {
        "dateTime": "%A %e %B %Y à %X",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": [
            "janvier", "février", "mars", "avril", "mai", "juin",
            "juillet", "août", "septembre", "octobre", "novembre", "décembre",
        ],
        "shortMonths": [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
        ],
    },
}  # fmt: skip


# --- Coverage charts (Mon département, Ma région, Vue nationale) -----------------------------

STATUS_COLORS = {
    "Couvert dans les délais": BLEU_FRANCE,
    "Couvert en retard": "#6a6af4",
    "Rencontre prévue": "#cacafb",
    "Non couvert": "#ce0500",
}


def long_status(counts: pd.DataFrame, label_column: str) -> pd.DataFrame:
    """One row per (territory, status) for the stacked bars (a reshape of an aggregate)."""
    labels = dict(zip(["couvert_delais", "couvert_retard", "prevu", "non_couvert"], STATUS_COLORS, strict=True))
    long = counts.melt(id_vars=[label_column, "qpv"], value_vars=list(labels), var_name="code", value_name="QPV")
    long["Statut"] = long["code"].map(labels)
    long["Part"] = long["QPV"] / long["qpv"]
    long["taux_part"] = long["Part"]  # same figure, shown as a percentage in tables
    long["Ordre"] = long["code"].map({code: i for i, code in enumerate(labels)})
    return long


def status_chart(counts: pd.DataFrame, label_column: str, title: str) -> alt.Chart:
    data = long_status(counts, label_column)
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        .mark_bar(size=18)
        .encode(
            y=alt.Y(
                f"{label_column}:N",
                title=None,
                sort=alt.SortField(label_column),
                axis=alt.Axis(labelOverlap=False, labelLimit=200),
            ),
            x=alt.X("Part:Q", title="Part des QPV", axis=alt.Axis(format="%"), stack="normalize"),
            color=alt.Color(
                "Statut:N",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                legend=bottom_legend(),
            ),
            order=alt.Order("Ordre:Q"),
            tooltip=[
                alt.Tooltip(f"{label_column}:N", title="Territoire"),
                alt.Tooltip("Statut:N"),
                alt.Tooltip("QPV:Q", title="QPV"),
                alt.Tooltip("Part:Q", title="Part", format=".1%"),
            ],
        )
        .properties(height=bar_height(counts[label_column].nunique()))
    )
    return chart


# --- Priorities (Priorités page, synthèse départementale) ----------------------------------------

LABEL_LIMIT = 360  # pixels: theme names such as « Tranquillité publique et sécurité » are never cut


def barres_themes(
    df: pd.DataFrame, value: str, title: str, percent: bool = True, *, etiquettes: bool = False
) -> alt.Chart | alt.LayerChart:
    """Themes ranked by `value` (one bar each); `etiquettes` writes the value at the bar's end,
    and keeps the rows' order (a ranking's order: the table beside it reads the same)."""
    order: str | list[str] = list(df["theme_libelle"]) if etiquettes else "-x"
    theme = alt.Y("theme_libelle:N", title="Thème", sort=order, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    bars: alt.Chart = (
        alt.Chart(df)
        .mark_bar(color=BLEU_FRANCE)
        .encode(
            x=alt.X(
                f"{value}:Q",
                title=title,
                # Counts tick on whole numbers only (a small search read "0 0 0 1 1 1").
                axis=alt.Axis(format=".0%") if percent else alt.Axis(format=",d", tickMinStep=1),
            ),
            y=theme,
            tooltip=[
                alt.Tooltip("theme_libelle:N", title="Thème"),
                alt.Tooltip("contributions:Q", title="Contributions", format=",d"),
                alt.Tooltip("rencontres:Q", title="Rencontres citant le thème", format=",d"),
                alt.Tooltip("part_rencontres:Q", title="Part des rencontres", format=".1%"),
                alt.Tooltip("part:Q", title="Part pondérée", format=".1%"),
                alt.Tooltip("score_rang:Q", title="Score de rang", format=".1f"),
            ],
        )
        .properties(height=bar_height(df["theme_libelle"].nunique()))
    )
    if not etiquettes:
        return bars
    # The label is the table's figure, formatted in Python (d3 rounds 12,5 % up, Python to even).
    shown = fr_percent if percent else fr_number
    labels: alt.Chart = (
        alt.Chart(df.assign(etiquette=df[value].map(lambda v: shown(float(v)))))
        .mark_text(align="left", dx=4, color="#161616")
        .encode(x=f"{value}:Q", y=theme, text="etiquette:N")
    )
    return alt.LayerChart(layer=[bars, labels])


# --- Participation against France (synthèse départementale) -------------------------------------

PUBLICS = {"femmes": "Femmes", "jeunes": "Jeunes", "habitants_qpv": "Habitants des QPV",
           "professionnels": "Professionnels", "elus": "Élus"}  # fmt: skip


def parts_publics(territoire: str, sommes: dict[str, int], sommes_france: dict[str, int]) -> pd.DataFrame:
    """Share of each public among the participants, here and in France (one row per pair)."""
    rows = []
    for nom, sums in ((territoire, sommes), ("France", sommes_france)):
        total = sums.get("participants", 0)
        for key, label in PUBLICS.items():
            rows.append({"Public": label, "Territoire": nom, "Participants": sums.get(key, 0),
                         "Part": sums.get(key, 0) / total if total else 0.0})  # fmt: skip
    return pd.DataFrame(rows)


def participation_chart(parts: pd.DataFrame, title: str) -> alt.Chart:
    territoires = list(dict.fromkeys(parts["Territoire"]))
    chart: alt.Chart = (
        alt.Chart(parts, title=title)
        .mark_bar(size=12)
        .encode(
            y=alt.Y("Public:N", title=None, sort=list(PUBLICS.values()), axis=alt.Axis(labelLimit=200)),
            yOffset=alt.YOffset("Territoire:N", sort=territoires),
            x=alt.X("Part:Q", title="Part des participants", axis=alt.Axis(format="%")),
            color=alt.Color(
                "Territoire:N",
                sort=territoires,
                scale=alt.Scale(domain=territoires, range=[BLEU_FRANCE, "#9a9aff"]),
                legend=bottom_legend(),
            ),
            tooltip=[
                alt.Tooltip("Public:N"),
                alt.Tooltip("Territoire:N"),
                alt.Tooltip("Participants:Q", format=",d"),
                alt.Tooltip("Part:Q", format=".1%"),
            ],
        )
        .properties(height=bar_height(len(PUBLICS)) * 1.6)
    )
    return chart


# --- Images for the documents --------------------------------------------------------------------

FONT_GRAPHIQUES = "Liberation Sans, Arial, sans-serif"


def en_png(chart: alt.TopLevelMixin, *, largeur_px: int = 480, echelle: float = 2.0) -> bytes:
    """The chart as a PNG (vl-convert, offline), French number and date formats, sans-serif."""
    spec = chart.to_dict(validate=False)
    if "layer" not in spec and "hconcat" not in spec and "facet" not in spec:
        spec["width"] = largeur_px
    else:
        spec.setdefault("width", largeur_px)
    config = spec.setdefault("config", {})
    config.update({"font": FONT_GRAPHIQUES, "background": "white"})
    config.setdefault("view", {})["stroke"] = None
    return _png(json.dumps(spec, sort_keys=True), echelle)


@functools.lru_cache(maxsize=64)
def _png(spec: str, echelle: float) -> bytes:
    """One rendering per chart: the specification carries its data, so the same text is the same
    picture (a synthèse downloaded in Word's format then in LibreOffice's draws its charts once;
    vl-convert takes about 0.1 s per chart)."""
    import vl_convert

    return bytes(
        vl_convert.vegalite_to_png(
            json.loads(spec), scale=echelle, format_locale=FR_LOCALE["number"], time_format_locale=FR_LOCALE["time"]
        )
    )
