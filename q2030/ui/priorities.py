"""Page "Priorités des habitants": ranked themes, heatmap, régions, comparison, search, words.

Every figure can be traced to its contributions (the "Voir les contributions" selectors).
Read models are cached by plain values plus the data version; the SQL aggregate does not
depend on the weighting or the order, so switching them does not query the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from q2030 import priorities as p
from q2030.access import FRANCE, Actor, Scope, lecture
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.excel.priorites import export_excel
from q2030.formatting import fr_count, fr_number, fr_percent
from q2030.nomenclature import AXES, theme_label
from q2030.referentiel import REGIONS
from q2030.ui import canaux, filters, restitution
from q2030.ui.charts import bar_height, barres_themes, show_chart
from q2030.ui.shell import BLEU_FRANCE, data_version, engine, show_error
from q2030.ui.tables import csv_bytes, show_table

LABEL_LIMIT = 360  # pixels: theme names such as « Tranquillité publique et sécurité » are never cut
PERCENT_COLUMNS = {"Part des rencontres", "Part pondérée", "Part dans le territoire", "Part nationale"}


# --- Cached read models ------------------------------------------------------------------------


# Aggregates are national for every role: cached by filters and data version only, so a
# new user or role reads what another computed. Lists of contributions and their words
# depend on the actor's reading scope: cached per scope (national, région, département).


@st.cache_data(show_spinner="Calcul des agrégats…")
def _agregats_shared(lecteur: Scope, filtres: p.Filtres, groupe: str, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return p.agregats(session, actor=lecteur, filtres=filtres, groupe=groupe)


def _agregats(actor: Actor, filtres: p.Filtres, groupe: str, version: int) -> pd.DataFrame:
    # National for every role, except the counts of a text search (within the reading scope).
    lecteur = lecture(actor) if p.cherche_du_texte(filtres) else FRANCE
    return _agregats_shared(lecteur, filtres, groupe, version)


def _classement(actor: Actor, filtres: p.Filtres, groupe: str, ponderation: str, tri: str) -> pd.DataFrame:
    return p.classer(_agregats(actor, filtres, groupe, data_version()), ponderation=ponderation, tri=tri)


@st.cache_data(show_spinner=False)
def _contributions_shared(lecteur: Scope, filtres: p.Filtres, version: int) -> tuple[pd.DataFrame, int, int]:
    with session_scope(engine()) as session:
        lisibles, total = p.compter_contributions(session, actor=lecteur, filtres=filtres)
        return p.contributions(session, actor=lecteur, filtres=filtres), lisibles, total


def _contributions(actor: Actor, filtres: p.Filtres, version: int) -> tuple[pd.DataFrame, int, int]:
    return _contributions_shared(lecture(actor), filtres, version)


@st.cache_data(show_spinner=False)
def _comparaison_shared(filtres: p.Filtres, ponderation: str, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return p.comparaison(session, actor=FRANCE, filtres=filtres, ponderation=ponderation)


def _comparaison(actor: Actor, filtres: p.Filtres, ponderation: str, version: int) -> pd.DataFrame:
    del actor  # national aggregates
    return _comparaison_shared(filtres, ponderation, version)


@st.cache_data(show_spinner="Comptage des mots…")
def _mots_shared(lecteur: Scope, filtres: p.Filtres, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return p.mots_frequents(session, actor=lecteur, filtres=filtres, n=25)


def _mots(actor: Actor, filtres: p.Filtres, version: int) -> pd.DataFrame:
    return _mots_shared(lecture(actor), filtres, version)  # words are text: the reading scope


@st.cache_data(show_spinner=False)
def _terme_shared(lecteur: Scope, filtres: p.Filtres, terme: str, version: int) -> tuple[pd.DataFrame, int]:
    with session_scope(engine()) as session:
        return p.contributions_du_terme(session, actor=lecteur, filtres=filtres, terme=terme)


def _terme(actor: Actor, filtres: p.Filtres, terme: str, version: int) -> tuple[pd.DataFrame, int]:
    return _terme_shared(lecture(actor), filtres, terme, version)


def _exports(actor: Actor, filtres: p.Filtres, ponderation: str) -> dict[str, bytes]:
    with session_scope(engine()) as session:
        return {
            "contributions": p.export_csv(session, actor=actor, filtres=filtres, quoi="contributions"),
            "classement": p.export_csv(
                session, actor=actor, filtres=filtres, quoi="classement", ponderation=ponderation
            ),
            "excel": export_excel(session, actor=actor, filtres=filtres, ponderation=ponderation),
        }


# --- Display helpers ---------------------------------------------------------------------------


def _fr(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers as French text for display (the CSV keeps them as numbers)."""
    out = df.copy()
    for column in out.columns:
        if column in PERCENT_COLUMNS:
            out[column] = out[column].map(lambda v: fr_percent(v, 1))
        elif pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(lambda v: fr_number(v, 2))
        elif pd.api.types.is_integer_dtype(out[column]):
            out[column] = out[column].map(lambda v: fr_number(v) if pd.notna(v) else "")
    return out


def _table(df: pd.DataFrame, name: str, key: str) -> None:
    """The data behind a chart, and its CSV."""
    if show_table(_fr(df), key=f"{key}_table", empty="Aucune donnée pour ces filtres.") is None:
        return
    st.download_button(
        "Télécharger ces données (CSV)",
        csv_bytes(df),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )


def _show_contributions(actor: Actor, filtres: p.Filtres, key: str) -> None:
    rows, lisibles, total = _contributions(actor, filtres, data_version())
    if total == 0:
        st.info("Aucune contribution ne correspond.")
        return
    caption = fr_count(total, "contribution")
    if lisibles < total:
        caption += (
            f", dont {fr_count(lisibles, 'consultable')} dans votre périmètre ({p.perimetre_lecture(actor)}) ; "
            "les autres sont comptées dans les agrégats mais leur texte n'est pas affiché"
        )
    if len(rows) < lisibles:
        caption += f" ; {fr_number(len(rows))} premières affichées (toutes dans l'export)"
    st.caption(caption + ".")
    _table(p.table_contributions(rows), "contributions", key)


def _drill_theme(actor: Actor, filtres: p.Filtres, themes: list[str], key: str) -> None:
    """ "Voir les contributions" of one theme of a figure (with the figure's own restrictions)."""
    if not themes:
        return
    theme = st.selectbox(
        "Voir les contributions du thème",
        [None, *themes],
        format_func=lambda code: "—" if code is None else theme_label(code),
        key=key,
        placeholder="Choisir…",
    )
    if theme is not None:
        _show_contributions(actor, replace(filtres, theme=theme), f"{key}_rows")


# --- Tabs -----------------------------------------------------------------------------------


def render(actor: Actor) -> None:
    st.title("Priorités des habitants")
    filters.open_on_scope(actor)
    filtres = filters.draw()
    described = "; ".join(f"{label} : {value}" for label, value in filtres.decrire()) or "aucun"
    st.caption(f"Rencontres tenues de la campagne active. Filtres : {described}.")
    left, right = st.columns(2)
    ponderation = left.radio(
        "Pondération",
        list(p.PONDERATIONS),
        format_func=p.PONDERATIONS.__getitem__,
        horizontal=True,
        key="prio_ponderation",
        help="Chaque rencontre (ou département) pèse autant que les autres, quel que soit son nombre de contributions.",
    )
    tri = right.selectbox(
        "Classer par", list(p.TRIS), format_func=p.TRIS.__getitem__, key="prio_tri", placeholder="Choisir…"
    )
    canal = canaux.draw_canal()
    if canal != "rencontres":  # the questionnaire channel, alone or beside the rencontres
        try:
            canaux.render(filtres, canal, ponderation)
        except Q2030Error as error:
            show_error(error)
        return
    views: list[tuple[str, Callable[[], None]]] = [
        ("Classement", lambda: _tab_classement(actor, filtres, ponderation, tri)),
        ("Carte de chaleur", lambda: _tab_chaleur(actor, filtres, ponderation)),
        ("Par région", lambda: _tab_regions(actor, filtres, ponderation, tri)),
        ("Comparaison", lambda: _tab_comparaison(actor, filtres, ponderation)),
        ("Recherche", lambda: _tab_recherche(actor, filtres)),
        ("Mots fréquents", lambda: _tab_mots(actor, filtres)),
        ("Contributions / Export", lambda: _tab_export(actor, filtres, ponderation)),
    ]
    # Lazy tabs: only the open one queries the database.
    tabs = st.tabs([label for label, _view in views], key="prio_onglet", on_change="rerun")
    for tab, (_label, view) in zip(tabs, views, strict=True):
        with tab:
            if tab.open:
                try:
                    view()
                except Q2030Error as error:
                    show_error(error)


def _tab_classement(actor: Actor, filtres: p.Filtres, ponderation: str, tri: str) -> None:
    axe = st.selectbox(
        "Axe",
        [None, *AXES],
        format_func=lambda code: "Tous les axes" if code is None else AXES[code],
        key="prio_classement_axe",
        placeholder="Choisir…",
    )
    if axe is None:
        df = _classement(actor, filtres, "aucun", ponderation, tri)
    else:
        df = _classement(actor, filtres, "axe", ponderation, tri)
        df = df[df["groupe"] == axe]
    if df.empty:
        st.info("Aucune contribution pour ces filtres.")
        return
    show_chart(barres_themes(df, "part", "Part pondérée"))
    _table(p.table_classement(df), "classement", "prio_classement")
    _drill_theme(actor, replace(filtres, axe=axe or filtres.axe), df["theme"].tolist(), "prio_drill_classement")
    restitution.engagements_by_theme(filtres.departement)


def _tab_chaleur(actor: Actor, filtres: p.Filtres, ponderation: str) -> None:
    df = _classement(actor, filtres, "axe", ponderation, "poids")
    if df.empty:
        st.info("Aucune contribution pour ces filtres.")
        return
    order = (
        df.groupby("theme_libelle")["contributions"].sum().sort_values(ascending=False).index.tolist()
    )  # a small frame: at most 80 cells
    chart = (
        alt.Chart(df)
        .mark_rect()
        .encode(
            # Themes down the side, one readable row each; the few axes across the top.
            y=alt.Y("theme_libelle:N", title="Thème", sort=order, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=alt.X("groupe_libelle:N", title="Axe", axis=alt.Axis(orient="top", labelAngle=0, labelLimit=160)),
            color=alt.Color(
                "part:Q", title="Part dans l'axe", scale=alt.Scale(scheme="blues"), legend=alt.Legend(format="%")
            ),
            tooltip=[
                alt.Tooltip("groupe_libelle:N", title="Axe"),
                alt.Tooltip("theme_libelle:N", title="Thème"),
                alt.Tooltip("contributions:Q", title="Contributions", format=",d"),
                alt.Tooltip("rencontres:Q", title="Rencontres", format=",d"),
                alt.Tooltip("part:Q", title="Part pondérée dans l'axe", format=".1%"),
            ],
        )
        .properties(height=bar_height(len(order)))
    )
    show_chart(chart)
    _table(p.table_classement(df), "carte-de-chaleur", "prio_chaleur")
    axe = st.selectbox(
        "Axe de la cellule",
        [None, *AXES],
        format_func=lambda c: "—" if c is None else AXES[c],
        key="prio_chaleur_axe",
        placeholder="Choisir…",
    )
    if axe is not None:
        themes = df[df["groupe"] == axe]["theme"].tolist()
        _drill_theme(actor, replace(filtres, axe=axe), themes, "prio_drill_chaleur")


def _tab_regions(actor: Actor, filtres: p.Filtres, ponderation: str, tri: str) -> None:
    df = _classement(actor, filtres, "region", ponderation, tri)
    df = df[df["rang"] <= 5]
    if df.empty:
        st.info("Aucune contribution pour ces filtres.")
        return
    chart = (
        alt.Chart(df)
        .mark_bar(color=BLEU_FRANCE)
        .encode(
            x=alt.X("part:Q", title="Part pondérée", axis=alt.Axis(format="%")),
            y=alt.Y("theme_libelle:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220)),
            tooltip=[
                alt.Tooltip("groupe_libelle:N", title="Région"),
                alt.Tooltip("theme_libelle:N", title="Thème"),
                alt.Tooltip("rang:Q", title="Rang"),
                alt.Tooltip("contributions:Q", title="Contributions", format=",d"),
                alt.Tooltip("part:Q", title="Part pondérée", format=".1%"),
            ],
        )
        .properties(width=200, height=120)
        .facet(facet=alt.Facet("groupe_libelle:N", title=None), columns=2)
        .resolve_scale(y="independent")
    )
    st.caption("Les cinq premiers thèmes de chaque région.")
    show_chart(chart, stretch=False)
    _table(p.table_classement(df), "priorites-par-region", "prio_regions")
    regions = sorted(set(df["groupe"]), key=lambda c: REGIONS.get(c, c))
    region = st.selectbox(
        "Région",
        [None, *regions],
        format_func=lambda c: "—" if c is None else REGIONS.get(c, c),
        key="prio_region_drill",
        placeholder="Choisir…",
    )
    if region is not None:
        themes = df[df["groupe"] == region]["theme"].tolist()
        _drill_theme(actor, replace(filtres, region=region), themes, "prio_drill_region")


def _tab_comparaison(actor: Actor, filtres: p.Filtres, ponderation: str) -> None:
    if not (filtres.region or filtres.departement or filtres.qpv):
        st.info(
            "Choisissez une région, un département ou un quartier dans les filtres "
            "pour le comparer à la France entière."
        )
        return
    df = _comparaison(actor, filtres, ponderation, data_version())
    shown = df.rename(
        columns={
            "theme_libelle": "Thème",
            "contributions_territoire": "Contributions (territoire)",
            "contributions_national": "Contributions (national)",
            "part_territoire": "Part dans le territoire",
            "part_national": "Part nationale",
            "indice": "Indice (territoire / national)",
            "ecart_points": "Écart (points)",
        }
    )[["Thème", "Contributions (territoire)", "Contributions (national)", "Part dans le territoire", "Part nationale",
       "Indice (territoire / national)", "Écart (points)"]]  # fmt: skip
    base = alt.Chart(df).encode(
        y=alt.Y("theme_libelle:N", title="Thème", sort="-x", axis=alt.Axis(labelLimit=LABEL_LIMIT))
    )
    bars = base.mark_bar().encode(
        x=alt.X("indice:Q", title="Indice de représentation (1 = comme au national)"),
        color=alt.condition("datum.indice >= 1", alt.value(BLEU_FRANCE), alt.value("#E1000F")),
        tooltip=[
            alt.Tooltip("theme_libelle:N", title="Thème"),
            alt.Tooltip("contributions_territoire:Q", title="Contributions (territoire)", format=",d"),
            alt.Tooltip("contributions_national:Q", title="Contributions (national)", format=",d"),
            alt.Tooltip("part_territoire:Q", title="Part dans le territoire", format=".1%"),
            alt.Tooltip("part_national:Q", title="Part nationale", format=".1%"),
            alt.Tooltip("indice:Q", title="Indice", format=".2f"),
        ],
    )
    rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="#666").encode(x="x:Q")
    st.caption("Au-dessus de 1 : thème sur-représenté dans le territoire par rapport à la France entière.")
    show_chart((bars + rule).properties(height=bar_height(df["theme_libelle"].nunique())))
    _table(shown, "comparaison", "prio_comparaison")
    _drill_theme(actor, filtres, df[df["contributions_territoire"] > 0]["theme"].tolist(), "prio_drill_comparaison")


def _tab_recherche(actor: Actor, filtres: p.Filtres) -> None:
    texte = st.text_input(
        "Rechercher dans les contributions (accents et majuscules ignorés ; tous les mots doivent figurer)",
        key="prio_recherche",
    )
    if not texte.strip():
        st.caption("Saisissez un ou plusieurs mots, par exemple « securite » ou « soutien scolaire ».")
        return
    cherche = replace(filtres, recherche=texte)
    st.caption(
        "Les résultats d'une recherche (nombres compris) portent uniquement sur les contributions "
        f"que vous pouvez lire ({p.perimetre_lecture(actor)}) : une recherche ne renseigne pas sur les autres textes."
    )
    df = _classement(actor, cherche, "aucun", "contribution", "poids")
    if df.empty:
        st.info("Aucune contribution ne contient ces mots.")
        return
    show_chart(barres_themes(df, "contributions", "Contributions trouvées", percent=False))
    _table(df[["theme_libelle", "contributions", "rencontres"]].rename(
        columns={"theme_libelle": "Thème", "contributions": "Contributions", "rencontres": "Rencontres"}
    ), "recherche-par-theme", "prio_recherche_themes")  # fmt: skip
    _show_contributions(actor, cherche, "prio_recherche_rows")


def _tab_mots(actor: Actor, filtres: p.Filtres) -> None:
    st.caption(
        "Mots et expressions de deux mots les plus fréquents des contributions filtrées (mots vides retirés), "
        f"parmi les contributions que vous pouvez lire ({p.perimetre_lecture(actor)}). "
        "Choisissez un thème ou un territoire dans les filtres pour les restreindre."
    )
    df = _mots(actor, filtres, data_version())
    if df.empty:
        st.info("Aucune contribution lisible pour ces filtres.")
        return
    kind = st.radio("Afficher", ["mot", "expression"], format_func={"mot": "Mots", "expression": "Expressions"}.get,
                    horizontal=True, key="prio_mots_type")  # fmt: skip
    shown = df[df["type"] == kind]
    if shown.empty:
        st.info("Aucune expression ne revient plus d'une fois.")
        return
    chart = (
        alt.Chart(shown)
        .mark_bar(color=BLEU_FRANCE)
        .encode(
            x=alt.X(
                "contributions:Q", title="Contributions qui l'emploient", axis=alt.Axis(format=",d", tickMinStep=1)
            ),
            y=alt.Y("affiche:N", title="Terme", sort="-x"),
            tooltip=[alt.Tooltip("affiche:N", title="Terme"), alt.Tooltip("contributions:Q", title="Contributions")],
        )
        .properties(height=bar_height(shown["affiche"].nunique()))
    )
    show_chart(chart)
    _table(shown[["affiche", "contributions"]].rename(columns={"affiche": "Terme", "contributions": "Contributions"}),
           "mots-frequents", "prio_mots")  # fmt: skip
    labels = dict(zip(shown["terme"], shown["affiche"], strict=True))
    terme = st.selectbox(
        "Voir les contributions qui emploient",
        [None, *labels],
        format_func=lambda t: "—" if t is None else labels[t],
        key="prio_mot_drill",
        placeholder="Choisir…",
    )
    if terme is not None:
        rows, total = _terme(actor, filtres, terme, data_version())
        st.caption(
            f"{fr_count(total, 'contribution')} ; "
            f"{fr_count(len(rows), 'consultable affichée', 'consultables affichées')}."
        )
        _table(p.table_contributions(rows), "contributions-terme", "prio_mot_rows")


def _tab_export(actor: Actor, filtres: p.Filtres, ponderation: str) -> None:
    _show_contributions(actor, filtres, "prio_export_rows")
    st.markdown("**Exporter la vue filtrée** (toutes les contributions consultables et les classements)")
    if st.button("Préparer les exports", key="prio_exports_prepare"):
        st.session_state["prio_exports"] = (filtres, ponderation, _exports(actor, filtres, ponderation))
    prepared = st.session_state.get("prio_exports")
    if prepared and prepared[0] == filtres and prepared[1] == ponderation:
        files = prepared[2]
        columns = st.columns(3)
        columns[0].download_button("Contributions (CSV)", files["contributions"], "contributions.csv", "text/csv",
                                   key="prio_dl_contributions", on_click="ignore")  # fmt: skip
        columns[1].download_button("Classement (CSV)", files["classement"], "classement.csv", "text/csv",
                                   key="prio_dl_classement", on_click="ignore")  # fmt: skip
        columns[2].download_button(
            "Classeur Excel",
            files["excel"],
            "priorites.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="prio_dl_excel",
            on_click="ignore",
        )
