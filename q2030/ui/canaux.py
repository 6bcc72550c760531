"""Priorités: the "canal" filter (rencontres, questionnaire, both) and the questionnaire views.

The rencontres channel is the page as it was; the questionnaire and "les deux" views are
drawn here from q2030.questionnaire so that the priorities' own read model stays untouched.
The canal is a shared filter kept in `st.session_state["filtre_canal"]` (same pattern as
q2030.ui.filters: copied into the widget key before drawing, back in on_change).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from q2030 import clock
from q2030 import priorities as p
from q2030 import questionnaire as q
from q2030.access import FRANCE
from q2030.db import session_scope
from q2030.formatting import fr_number, fr_percent
from q2030.questionnaire.representativite import representativite
from q2030.ui.charts import bar_height, bottom_legend, show_chart
from q2030.ui.shell import BLEU_FRANCE, data_version, engine
from q2030.ui.tables import csv_bytes, french_display, show_table

STORE = "filtre_canal"
WIDGET = "widget_filtre_canal"
# Aggregates are national for every role (the FRANCE scope): one cache entry shared by all.
ROUGE_MARIANNE = "#E1000F"


def draw_canal() -> str:
    st.session_state.setdefault(STORE, "rencontres")
    st.session_state[WIDGET] = st.session_state[STORE]
    st.radio(
        "Canal",
        list(q.CANAUX),
        format_func=q.CANAUX.__getitem__,
        horizontal=True,
        key=WIDGET,
        on_change=lambda: st.session_state.__setitem__(STORE, st.session_state[WIDGET]),
        help="Rencontres : chaque rencontre tenue ; questionnaire en ligne : chaque réponse compte pour un.",
    )
    return str(st.session_state[STORE])


@st.cache_data(show_spinner="Calcul des agrégats…")
def _questionnaire(filtres: p.Filtres, version: int) -> tuple[pd.DataFrame, tuple[int, int]]:
    with session_scope(engine()) as session:
        return q.classement(session, filtres=filtres), q.totaux(session, filtres=filtres)


@st.cache_data(show_spinner="Calcul des agrégats…")
def _deux(filtres: p.Filtres, ponderation: str, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return q.deux_canaux(session, actor=FRANCE, filtres=filtres, ponderation=ponderation)


def render(filtres: p.Filtres, canal: str, ponderation: str) -> None:
    ignored = [label for label, _value in filtres.decrire() if label in ("Format", "Recherche")]
    note = "Questionnaire en ligne : chaque réponse compte pour un (un thème pèse, dans une réponse, 1 / ses thèmes)."
    if ignored:
        note += f" Sans objet pour le questionnaire : {', '.join(ignored).lower()}."
    st.caption(note)
    version = data_version()
    if canal == "questionnaire":
        _vue_questionnaire(filtres, version)
    else:
        _vue_deux(filtres, ponderation, version)


def _vue_questionnaire(filtres: p.Filtres, version: int) -> None:
    ranking, (citations, reponses) = _questionnaire(filtres, version)
    left, right = st.columns(2)
    left.metric("Réponses citant au moins un thème", fr_number(reponses))
    right.metric("Citations de thèmes", fr_number(citations))
    if ranking.empty:
        st.info("Aucune réponse au questionnaire pour ces filtres.")
        return
    chart = (
        alt.Chart(ranking)
        .mark_bar(color=BLEU_FRANCE)
        .encode(
            x=alt.X("part:Q", title="Part pondérée (chaque réponse compte pour un)", axis=alt.Axis(format="%")),
            y=alt.Y("theme_libelle:N", title="Thème", sort="-x", axis=alt.Axis(labelLimit=260)),
            tooltip=[
                alt.Tooltip("theme_libelle:N", title="Thème"),
                alt.Tooltip("citations:Q", title="Citations", format=",d"),
                alt.Tooltip("reponses:Q", title="Réponses citant le thème", format=",d"),
                alt.Tooltip("part:Q", title="Part pondérée", format=".1%"),
            ],
        )
        .properties(height=bar_height(len(ranking)))
    )
    table = ranking.rename(
        columns={"theme_libelle": "Thème", "citations": "Citations", "reponses": "Réponses citant le thème",
                 "part_reponses": "Part des réponses", "part": "Part pondérée"}
    )[["Thème", "Citations", "Réponses citant le thème", "Part des réponses", "Part pondérée"]]  # fmt: skip
    _chart_and_table(chart, table, ["Part des réponses", "Part pondérée"], "priorites-questionnaire", "canal_q")


def _vue_deux(filtres: p.Filtres, ponderation: str, version: int) -> None:
    side = _deux(filtres, ponderation, version)
    left, right = st.columns(2)
    left.metric("Contributions des rencontres", fr_number(int(side["contributions"].sum()) if len(side) else 0))
    right.metric("Citations du questionnaire", fr_number(int(side["citations"].sum()) if len(side) else 0))
    if side.empty:
        st.info("Aucune donnée pour ces filtres.")
        return
    long = pd.concat(
        [
            side.assign(canal="Rencontres", part=side["part_rencontres_canal"]),
            side.assign(canal="Questionnaire", part=side["part_questionnaire"]),
        ]
    )[["theme_libelle", "canal", "part"]]
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("part:Q", title="Part dans le canal", axis=alt.Axis(format="%")),
            y=alt.Y("theme_libelle:N", title="Thème", sort=list(side["theme_libelle"]), axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("canal:N", sort=["Rencontres", "Questionnaire"]),
            color=alt.Color(
                "canal:N",
                title="Canal",
                scale=alt.Scale(domain=["Rencontres", "Questionnaire"], range=[BLEU_FRANCE, ROUGE_MARIANNE]),
                legend=bottom_legend(),
            ),
            tooltip=[
                alt.Tooltip("theme_libelle:N", title="Thème"),
                alt.Tooltip("canal:N", title="Canal"),
                alt.Tooltip("part:Q", title="Part", format=".1%"),
            ],
        )
        .properties(height=bar_height(2 * len(side)))
    )
    table = side.rename(
        columns={
            "theme_libelle": "Thème", "contributions": "Contributions (rencontres)",
            "rencontres": "Rencontres citant le thème", "part_rencontres_canal": "Part rencontres",
            "citations": "Citations (questionnaire)", "reponses": "Réponses citant le thème",
            "part_questionnaire": "Part questionnaire", "indice": "Indice questionnaire / rencontres",
        }
    ).drop(columns="theme")  # fmt: skip
    st.caption(
        "Indice = part dans le questionnaire / part dans les rencontres (au-dessus de 1 : le questionnaire cite "
        f"davantage le thème). Rencontres pondérées : {p.PONDERATIONS[ponderation].lower()}."
    )
    _chart_and_table(chart, table, ["Part rencontres", "Part questionnaire"], "priorites-deux-canaux", "canal_2")
    _representativite(filtres, version)


@st.cache_data(show_spinner=False)
def _publics(filtres: p.Filtres, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return representativite(session, filtres=filtres, au=filtres.fin or clock.today())


def _representativite(filtres: p.Filtres, version: int) -> None:
    st.subheader("Qui s'est exprimé : représentativité des deux canaux")
    table = _publics(filtres, version)
    shown = table.copy()
    for column in ("Part rencontres", "Part questionnaire", "France"):
        shown[column] = shown[column].map(lambda v: "—" if v is None or v != v else fr_percent(v, 1))
    for column in ("Rencontres (participants)", "Questionnaire (répondants)", "Réponses renseignées"):
        shown[column] = shown[column].map(fr_number)
    show_table(shown, key="canal_representativite", empty="Aucune donnée.")
    st.caption(
        "Rencontres : effectifs saisis par les référents (rencontres tenues). Questionnaire : tranche d'âge, genre et "
        "« habite un QPV » déclarés, parts calculées sur les répondants qui ont répondu à la question. France : "
        "INSEE 2023 (femmes 51,6 %, moins de 25 ans 29,5 %, habitants des QPV 8 %)."
    )


def _chart_and_table(chart: alt.Chart, table: pd.DataFrame, percents: list[str], name: str, key: str) -> None:
    """The chart, then its data table at full width (eight columns do not fit beside a chart)."""
    show_chart(chart)
    show_table(
        french_display(table, percent_columns=percents, decimals=1),
        key=f"{key}_table",
        empty="Aucune donnée pour ces filtres.",
    )
    st.download_button(
        "Télécharger ces données (CSV)",
        csv_bytes(table),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )
