"""Coverage pages (Mon département, Ma région, National): cached loaders, charts, tables.

Every figure comes from q2030.coverage (the Excel export reads the same functions). Each
chart is drawn next to its data table, and each table downloads as CSV (";" and decimal
comma, as French spreadsheets expect).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import TypedDict

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.mutable_expander_container import ExpanderContainer
from streamlit.elements.vega_charts import VegaLiteState

from q2030 import clock, coverage, declarations, geo, questionnaire
from q2030.access import Action, Actor, DepartementCible, RencontreCible, Scope, allowed, resolve_scope
from q2030.campaigns import active_campaign, constat_au, situation_par_defaut
from q2030.coverage import Echeance, ProjectionValeurs
from q2030.csv_export import to_csv
from q2030.db import session_scope
from q2030.formatting import countdown, fr_count, fr_date, fr_number, fr_percent
from q2030.frontieres import ArgumentLibre, CelluleBrute, JsonValeur
from q2030.graphiques import participation_chart, parts_publics
from q2030.nomenclature import StatutRencontre
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.rencontres.lecture import list_rencontres
from q2030.ui import invitation, liens, maps, notices, params, restitution
from q2030.ui.charts import burnup_chart, cached_chart, long_status, show_chart, status_chart
from q2030.ui.shell import data_version, engine, escape_markdown
from q2030.ui.synthese import synthese_panel
from q2030.ui.tables import auto_height, french_display
from q2030.ui.validation import render_file

# --- Cached read models (plain values only) ----------------------------------------------


class CampagneVue(TypedDict):
    lancement: dt.date
    rencontres_echeance: dt.date
    synthese_departementale_echeance: dt.date
    restitution_fin: dt.date
    echeances: list[Echeance]


@st.cache_data(show_spinner=False)
def _campaign(version: int) -> CampagneVue:
    with session_scope(engine()) as session:
        campaign = active_campaign(session)
        return {
            "lancement": campaign.lancement,
            "rencontres_echeance": campaign.rencontres_echeance,
            "synthese_departementale_echeance": campaign.synthese_departementale_echeance,
            "restitution_fin": campaign.restitution_fin,
            "echeances": coverage.echeances(campaign, clock.today()),
        }


def default_au(restitution_fin: dt.date, today: dt.date) -> tuple[dt.date, str]:
    """The "situation au" date a page opens on, and the sentence saying which date it is.

    Today while the campaign runs; once its restitution window is over, the end of that
    window (a finished campaign opened today would otherwise show every deadline as long past)."""
    shown = situation_par_defaut(restitution_fin, today)
    if shown != today:
        return shown, (
            f"Campagne terminée : la situation est affichée au {fr_date(restitution_fin)}, fin de la fenêtre de "
            "restitution publique. Choisissez une autre date pour revoir la campagne à ce jour-là."
        )
    return today, f"Situation au {fr_date(today)} (aujourd'hui). Choisissez une date passée pour revoir la campagne."


def _constat(au: dt.date, version: int) -> dt.date:
    """The day what has been done is judged at (campaigns.constat_au): today once the campaign is
    over. A key of the cached loaders, so a day change is a new entry as a write is."""
    return constat_au(au, _campaign(version)["restitution_fin"], clock.today())


# Coverage depends on the territory, not on who asks: the actor's right to read it is
# checked outside the cache (resolve_scope gives the territory as a Scope value), then one
# cached result, keyed on that Scope, serves every reader of the territory.
def _portee(actor: Actor, region: str | None, dep: str | None) -> Scope:
    return resolve_scope(actor, departement_code=dep, region_code=region)


@st.cache_data(show_spinner=False)
def _counts_shared(au: dt.date, constat: dt.date, niveau: coverage.Niveau, scope: Scope, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return coverage.coverage_counts(
            session,
            actor=scope,
            au=au,
            constat_au=constat,
            niveau=niveau,
            region_code=scope.region_code,
            departement_code=scope.departement_code,
        )


@st.cache_data(show_spinner=False)
def _declarations_shared(niveau: coverage.Niveau, scope: Scope, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return declarations.par_territoire(
            session,
            actor=scope,
            niveau=niveau,
            region_code=scope.region_code,
            departement_code=scope.departement_code,
        )


@st.cache_data(show_spinner=False)
def _declarations_qpv(scope: Scope, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return declarations.quartiers(session, actor=scope, departement_code=scope.departement_code)


@st.cache_data(show_spinner=False)
def _chaine(scope: Scope, version: int) -> declarations.Chaine:
    with session_scope(engine()) as session:
        return declarations.chaine(session, actor=scope, region_code=scope.region_code)


def _counts(
    actor: Actor, au: dt.date, niveau: coverage.Niveau, region: str | None, dep: str | None, version: int
) -> pd.DataFrame:
    scope = _portee(actor, region, dep)
    counts = _counts_shared(au, _constat(au, version), niveau, scope, version)
    # The organisers' pipeline beside the counts (current state of the declarations).
    counts = counts.merge(_declarations_shared(niveau, scope, version), on="code", how="left")
    for column in ("declarees", "validees", "validees_organisateurs", "qpv_declares"):
        counts[column] = pd.to_numeric(counts[column]).fillna(0).astype(int)
    if niveau != "departement":
        return counts
    # The second channel beside the meetings: questionnaire responses located in the département.
    merged = counts.merge(_reponses_departements(version), on="code", how="left")
    for column in ("reponses_questionnaire", "reponses_questionnaire_qpv"):
        merged[column] = pd.to_numeric(merged[column]).fillna(0).astype(int)
    return merged


@st.cache_data(show_spinner=False)
def _reponses_departements(version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return questionnaire.reponses_par_departement(session)


@st.cache_data(show_spinner=False)
def _reponses_qpv(dep: str | None, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return questionnaire.reponses_par_qpv(session, departement_code=dep)


@st.cache_data(show_spinner=False)
def _status_shared(au: dt.date, scope: Scope, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return coverage.qpv_status(
            session, actor=scope, au=au, departement_code=scope.departement_code, region_code=scope.region_code
        )


def _status(actor: Actor, au: dt.date, dep: str | None, version: int) -> pd.DataFrame:
    scope = _portee(actor, None, dep)
    status = _with_responses(_status_shared(au, scope, version), scope.departement_code, version)
    # Per quartier, the organisers' declarations: awaiting validation / validated.
    status = status.merge(_declarations_qpv(scope, version), on="qpv_code", how="left")
    status["declarees"] = pd.to_numeric(status["declarees"]).fillna(0).astype(int)
    status["validees"] = pd.to_numeric(status["validees"]).fillna(0).astype(int)
    status["etape"] = status["etape"].fillna("—")
    return status


@st.cache_data(show_spinner=False)
def _non_couverts_shared(au: dt.date, scope: Scope, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return coverage.qpv_non_couverts(session, actor=scope, au=au, departement_code=scope.departement_code)


def _non_couverts(actor: Actor, au: dt.date, dep: str, version: int) -> pd.DataFrame:
    """QPV without a held rencontre (coverage.qpv_non_couverts), with their questionnaire responses."""
    scope = _portee(actor, None, dep)
    return _with_responses(_non_couverts_shared(au, scope, version), scope.departement_code, version)


def _with_responses(status: pd.DataFrame, dep: str | None, version: int) -> pd.DataFrame:
    status = status.merge(_reponses_qpv(dep, version), on="qpv_code", how="left")
    status["reponses_questionnaire"] = pd.to_numeric(status["reponses_questionnaire"]).fillna(0).astype(int)
    return status


@st.cache_data(show_spinner=False)
def _suivi_shared(au: dt.date, constat: dt.date, scope: Scope, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return coverage.suivi_rencontres(
            session,
            actor=scope,
            au=au,
            constat_au=constat,
            departement_code=scope.departement_code,
            region_code=scope.region_code,
        )


def _suivi(actor: Actor, au: dt.date, dep: str | None, version: int) -> pd.DataFrame:
    return _suivi_shared(au, _constat(au, version), _portee(actor, None, dep), version)


@st.cache_data(show_spinner=False)
def _burnup_shared(au: dt.date, scope: Scope, version: int) -> tuple[pd.DataFrame, ProjectionValeurs]:
    with session_scope(engine()) as session:
        frame, projection = coverage.burnup(
            session, actor=scope, au=au, region_code=scope.region_code, departement_code=scope.departement_code
        )
        return frame, projection.valeurs()


def _burnup(
    actor: Actor, au: dt.date, region: str | None, dep: str | None, version: int
) -> tuple[pd.DataFrame, ProjectionValeurs]:
    return _burnup_shared(au, _portee(actor, region, dep), version)


# --- Building blocks ---------------------------------------------------------------------


def au_input(key: str) -> dt.date:
    """The "situation au" date (default_au: today, or the end of a finished campaign); any
    earlier date replays the campaign. The caption says which date is shown and why."""
    campaign = _campaign(data_version())
    today = clock.today()
    default, sentence = default_au(campaign["restitution_fin"], today)
    earliest = campaign["lancement"] - dt.timedelta(days=31)
    value = st.date_input(
        "Situation au",
        value=default,
        # Wide bounds: Streamlit's own out-of-range message is English; the range is checked below.
        min_value=dt.date(2000, 1, 1),
        max_value=max(today, default) + dt.timedelta(days=365 * 5),
        format="DD/MM/YYYY",
        key=key,
        help="Choisissez une date passée pour revoir la campagne telle qu'elle était ce jour-là.",
    )
    shown = value if isinstance(value, dt.date) else default
    if shown < earliest:
        st.warning(
            f"Le {fr_date(shown)} est trop tôt : la campagne a été lancée le {fr_date(campaign['lancement'])}. "
            f"Choisissez une date à partir du {fr_date(earliest)} ; la situation est affichée au {fr_date(default)}."
        )
        shown = default
    if shown == default:
        st.caption(sentence)
    else:
        st.caption(f"Situation au {fr_date(shown)} (date choisie).")
    return shown


def table(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    key: str,
    filename: str,
    empty: str = "Aucune ligne à afficher.",
    pinned: tuple[str, ...] = (),
    **dataframe_args: ArgumentLibre,
) -> object:
    """A French-labelled table (sortable) and its CSV download; returns st.dataframe's value.

    Ratios (columns named taux*) show as "29,3 %" but sort as numbers; the CSV writes them as
    percentages (29,3 under "Taux … (%)")."""
    if frame.empty:
        st.info(empty)
        return None
    shown = frame[list(columns)].rename(columns=columns)
    percents = [label for source, label in columns.items() if source.startswith("taux")]
    config = {label: st.column_config.Column(help=HEADER_HELP[label]) for label in shown if label in HEADER_HELP}
    config.update({label: st.column_config.Column(pinned=True, help=HEADER_HELP.get(label)) for label in pinned})
    dataframe_args.setdefault("height", auto_height(len(shown), max_rows=15))
    styled = french_display(shown, percent_columns=percents)
    result = st.dataframe(styled, hide_index=True, column_config=config, key=key, **dataframe_args)
    st.download_button(
        "Télécharger (CSV)",
        data=partial(table_csv, frame, columns),  # built on click, not every rerun
        file_name=filename,
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )
    return result


def table_csv(frame: pd.DataFrame, columns: dict[str, str]) -> bytes:
    """The CSV of a coverage table: French headers, ratios (taux*) as percentages under "… (%)".

    Columns the frame lacks are left out (the organisers' pipeline is merged in by the screen only)."""
    columns = {source: label for source, label in columns.items() if source in frame.columns}
    percents = [label for source, label in columns.items() if source.startswith("taux")]
    return to_csv(frame[list(columns)].rename(columns=columns), percent_columns=percents, decimals=1)


def projection_sentence(projection: ProjectionValeurs) -> str:
    deadline = fr_date(projection["echeance"])
    if projection["au"] >= projection["echeance"]:
        return f"À l'échéance du {deadline}, {fr_percent(projection['taux_projete'])} des QPV étaient couverts."
    pace = fr_number(projection["rythme_par_jour"] * 7, 1)
    return (
        f"Au rythme actuel ({pace} QPV nouvellement couverts par semaine sur les "
        f"{coverage.PACE_WINDOW_DAYS} derniers jours), {fr_percent(projection['taux_projete'])} au {deadline}."
    )


COUNTS_COLUMNS = {
    "qpv": "QPV",
    "taux_couvert_delais": "Couverts à temps",
    "taux_couvert_retard": "Couverts en retard",
    "taux_prevu": "Prévus",
    "taux_non_couvert": "Non couverts",
    "couvert_indirect": "Couverts indirect.",
    "rencontres_tenues": "Rencontres tenues",
    "syntheses_en_retard": "Synthèses en retard",
    "comptes_rendus_manquants": "CR manquants",
    "declarees": "À valider",
    "validees_organisateurs": "Validées (organisateurs)",
}
DEP_COLUMNS = {
    "code": "Code",
    "nom": "Département",
    **COUNTS_COLUMNS,
    "synthese_statut_libelle": "Synthèse dép.",
    "synthese_en_retard": "Synthèse dép. en retard",
    "reponses_questionnaire": "Réponses questionnaire",
}
# Short headers keep the tables readable; the full wording shows on hover.
HEADER_HELP = {
    "Couverts à temps": "Part des QPV couverts par une rencontre tenue dans les délais",
    "Couverts en retard": "Part des QPV couverts par une rencontre tenue après l'échéance",
    "Prévus": "Part des QPV sans rencontre tenue mais avec une rencontre prévue",
    "Non couverts": "Part des QPV sans rencontre tenue ni prévue",
    "Réponses questionnaire": "Réponses au questionnaire en ligne localisées dans le département",
    "Couverts indirect.": "QPV couverts indirectement (rencontre à l'échelle de la commune ou de l'EPCI)",
    "Synthèses en retard": "Synthèses aux participants non envoyées après l'échéance",
    "CR manquants": "Rencontres tenues sans compte rendu déposé",
    "Synthèse dép.": "Statut de la synthèse départementale",
    "Synthèse dép. en retard": "Synthèse départementale transmise (ou à transmettre) après l'échéance",
    "À valider": "Rencontres déclarées par des organisateurs locaux, à valider : elles ne comptent pas encore",
    "Validées (organisateurs)": "Rencontres déclarées par des organisateurs locaux et validées par le référent",
    "Déclarations": "Rencontres des organisateurs locaux sur ce quartier : validées, et déclarées à valider",
}


def metrics(row: pd.Series) -> None:
    columns = st.columns(5)
    columns[0].metric("QPV", fr_number(row["qpv"]))
    columns[1].metric(
        "Couverts dans les délais",
        fr_number(row["couvert_delais"]),
        fr_percent(row["taux_couvert_delais"]),
        delta_color="off",
        delta_arrow="off",
    )
    columns[2].metric(
        "Couverts en retard",
        fr_number(row["couvert_retard"]),
        fr_percent(row["taux_couvert_retard"]),
        delta_color="off",
        delta_arrow="off",
    )
    columns[3].metric(
        "Rencontre prévue", fr_number(row["prevu"]), fr_percent(row["taux_prevu"]), delta_color="off", delta_arrow="off"
    )
    columns[4].metric(
        "Non couverts",
        fr_number(row["non_couvert"]),
        fr_percent(row["taux_non_couvert"]),
        delta_color="off",
        delta_arrow="off",
    )


def chaine_section(actor: Actor, version: int) -> None:
    """The organisers' pipeline at national level: share filed by them, awaiting validation,
    median delay from a meeting to its validated compte rendu."""
    chaine = _chaine(_portee(actor, None, None), version)
    st.subheader("Rencontres des organisateurs locaux")
    columns = st.columns(4)
    columns[0].metric(
        "Déposées par des organisateurs",
        fr_percent(chaine.part_organisateurs) or "—",
        fr_count(chaine.par_organisateurs, "rencontre") + " sur " + fr_number(chaine.rencontres),
        delta_color="off",
        delta_arrow="off",
        help="Part des rencontres comptées (validées) qui ont été déclarées par un organisateur local",
    )
    columns[1].metric(
        "À valider", fr_number(chaine.en_attente), help="Déclarations en attente de validation par les référents"
    )
    columns[2].metric(
        "Délai médian du compte rendu",
        _jours(chaine.delai_median_jours),
        help="Médiane des jours entre la date d'une rencontre et son compte rendu validé",
    )
    columns[3].metric(
        "Dont organisateurs",
        _jours(chaine.delai_median_organisateurs_jours),
        help="La même médiane, pour les rencontres déclarées par des organisateurs locaux",
    )
    st.caption(
        "État actuel des déclarations (campagne en cours, rencontres annulées exclues). Le délai va de la date "
        "de la rencontre au jour où son premier compte rendu compte : "
        f"{fr_count(chaine.comptes_rendus, 'rencontre tenue')} avec compte rendu validé. "
        "Une déclaration à valider ne compte dans aucun chiffre de couverture."
    )


def _jours(value: float | None) -> str:
    return "—" if value is None else fr_count(value, "jour", decimals=0 if value == int(value) else 1)


def chart_and_table(
    chart: alt.TopLevelMixin | dict[str, JsonValeur],
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    key: str,
    filename: str,
    select_key: str | None = None,
    on_select: Callable[[], None] | None = None,
) -> DeltaGenerator | VegaLiteState:
    """The chart and its table side by side; with `select_key`, the chart's selection (see show_chart)."""
    left, right = st.columns([3, 2])
    with left:
        state = show_chart(chart, key=select_key, on_select=on_select)
    with right:
        table(frame, columns, key=key, filename=filename)
    return state


@st.cache_data(show_spinner=False)
def _parts_publics(dep: str, au: dt.date, version: int) -> pd.DataFrame:
    """Share of each public among the participants, the département against France (the
    figures and chart of the synthèse départementale, at the same date)."""
    from q2030.participation import participant_sums

    with session_scope(engine()) as session:
        campaign_id = active_campaign(session).id or 0
        here = participant_sums(session, campaign_id=campaign_id, au=au, departements=[dep])
        france = participant_sums(session, campaign_id=campaign_id, au=au, departements=None)
    return parts_publics(DEPARTEMENTS[dep][0], here, france)


def _parts_table(parts: pd.DataFrame) -> pd.DataFrame:
    """One row per public: the département's participants and share, and the share in France
    (the synthèse's table); taux* columns show as percentages."""
    here = parts[parts["Territoire"] != "France"].set_index("Public")
    france = parts[parts["Territoire"] == "France"].set_index("Public")
    return pd.DataFrame(
        {
            "Public": here.index,
            "Participants": here["Participants"].to_numpy(),
            "taux_part": here["Part"].to_numpy(),
            "taux_france": france.loc[here.index, "Part"].to_numpy(),
        }
    )


def participation_section(dep: str, au: dt.date, version: int) -> None:
    """Who came, here and in France (participants are counts, never people: any reader of the
    département sees them, as in the Excel synthèse)."""
    st.subheader("Participants : part de chaque public, comparée à la France")
    parts = _parts_publics(dep, au, version)
    if not parts["Participants"].sum():
        st.info("Aucun participant relevé dans les rencontres tenues à cette date.")
        return
    # Chart then table, each full width: the table's four columns would be cut beside the chart.
    show_chart(cached_chart(participation_chart, parts, "Part parmi les participants"))
    table(
        _parts_table(parts),
        {"Public": "Public", "Participants": "Participants", "taux_part": "Part", "taux_france": "Part en France"},
        key=f"participation_{dep}",
        filename=f"participants-{dep}.csv",
    )


def burnup_section(actor: Actor, au: dt.date, *, region: str | None, dep: str | None, key: str) -> None:
    st.subheader("Progression de la couverture")
    frame, projection = _burnup(actor, au, region, dep, data_version())
    st.markdown(projection_sentence(projection))
    chart_and_table(
        cached_chart(burnup_chart, frame, projection, "QPV couverts au fil du temps"),
        frame,
        {"date": "Date", "couverts": "QPV couverts (cumul)", "taux": "Taux de couverture"},
        key=key,
        filename="progression-couverture.csv",
    )


RENCONTRES_PAGE = "pages/1_Rencontres.py"
ACTIONS_VISIBLE = 8  # beyond this many lines an action list scrolls in its block


@st.cache_data(show_spinner=False)
def _rencontres_frame(dep: str, version: int) -> pd.DataFrame:
    """Callers checked the reader reads `dep` (the département's own scope is the key)."""
    with session_scope(engine()) as session:
        return list_rencontres(session, actor=Scope(departement_code=dep), departement_code=dep, comptees=True)


def _rencontres_quartiers(dep: str, version: int) -> dict[int, str]:
    """Rencontre id -> the codes of the quartiers it covers ("QN09301M, QN09302M")."""
    frame = _rencontres_frame(dep, version)
    return {int(rid): str(codes or "") for rid, codes in zip(frame["id"], frame["quartiers"], strict=True)}


def _planned_by_qpv(dep: str, au: dt.date, version: int) -> dict[str, int]:
    """QPV code -> the id of its next planned rencontre (on or after `au`)."""
    frame = _rencontres_frame(dep, version)
    frame = frame[(frame["statut"] == StatutRencontre.PREVUE) & (frame["date"] >= au)].sort_values(["date", "id"])
    planned: dict[str, int] = {}
    for rid, codes in zip(frame["id"], frame["quartiers"], strict=True):
        for code in str(codes or "").split(", "):
            if code:
                planned.setdefault(code, int(rid))
    return planned


def _quartier_names(au: dt.date, dep: str, version: int) -> dict[str, str]:
    """QPV code -> "Nom du quartier (Commune)"."""
    frame = _status_shared(au, Scope(departement_code=dep), version)
    return {
        code: f"{nom} ({communes})" if communes else str(nom)
        for code, nom, communes in zip(frame["qpv_code"], frame["qpv_nom"], frame["communes"], strict=True)
    }


def _quartiers_text(codes: str, names: dict[str, str]) -> str:
    return ", ".join(names.get(code, code) for code in codes.split(", ") if code)


def _rencontre_action(row: dict[str, CelluleBrute], dep: str, what: str) -> tuple[str, dict[str, str]]:
    where = row["quartiers_noms"] or row["perimetre"]
    text = f"Rencontre n° {row['id']} du {fr_date(row['date'])} – {row['lieu']} – {where} : {what}"
    return escape_markdown(text), {"rencontre": str(row["id"]), "departement": dep}


def _quartier_action(
    row: dict[str, CelluleBrute], dep: str, writer: bool, planned: dict[str, int]
) -> tuple[str, dict[str, str]]:
    name = f"{row['qpv_nom']} ({row['communes']})" if row.get("communes") else str(row["qpv_nom"])
    planned_id = planned.get(row["qpv_code"])
    if planned_id is not None:
        text = f"{name} : rencontre n° {planned_id} prévue le {fr_date(row['prochaine_prevue'])}, l'ouvrir"
        return escape_markdown(text), {"rencontre": str(planned_id), "departement": dep}
    if writer:
        return escape_markdown(f"{name} : planifier une rencontre"), {"planifier": row["qpv_code"], "departement": dep}
    return escape_markdown(f"{name} : aucune rencontre, voir les rencontres du département"), {"departement": dep}


def _action_list(title: str, actions: list[tuple[str, dict[str, str]]], *, key: str, empty: str) -> None:
    """One bordered block per action list: a link per line, opening the Rencontres page on it
    (a long list scrolls inside its block and shows its lines a page at a time: liens.link_list)."""
    st.markdown(f"**{title}**")
    liens.link_list(
        [(RENCONTRES_PAGE, label_text, params) for label_text, params in actions],
        key=key,
        empty=empty,
        scroll_above=ACTIONS_VISIBLE,
        height=330,
    )


# --- Pages -------------------------------------------------------------------------------


# Mon département in sections reachable from the top (tabs). Stream « organisateurs » adds its
# « À valider » queue as the first section: DETAIL_SECTIONS is the one list to extend.
DETAIL_SECTIONS = ("À faire", "Quartiers", "Synthèse", "Engagements")


def departement_detail(actor: Actor, dep: str, au: dt.date) -> None:
    """What a référent watches for one département (also the drill-down of the other pages)."""
    version = data_version()
    counts = _counts(actor, au, "departement", None, dep, version)
    if counts.empty:
        st.info("Aucun quartier prioritaire de la géographie de la campagne dans ce département.")
        return
    metrics(counts.iloc[0])
    invite = allowed(actor, Action.INVITER_ORGANISATEUR, DepartementCible(dep))  # the référent, an administrator
    # Only the open section runs and is sent to the browser (a click on another tab reruns the
    # page): drawing all of them was four data grids, four charts and the forms at once.
    a_faire, quartiers, synthese, engagements, *organisateurs = st.tabs(
        [*DETAIL_SECTIONS, *(["Organisateurs"] if invite else [])], key=sections_key(dep), on_change="rerun"
    )
    if a_faire.open is not False:
        with a_faire:
            _a_faire(actor, dep, au, version)
    if quartiers.open:
        with quartiers:
            _quartiers(actor, dep, au, counts, version)
    if synthese.open:
        with synthese:
            participation_section(dep, au, version)
            synthese_panel(actor, dep, au)
            restitution.synthese_publication(actor, dep)
    if engagements.open:
        with engagements:
            restitution.engagements_section(actor, dep, DEPARTEMENTS[dep][1])
    for tab in organisateurs:
        if tab.open:
            with tab:
                invitation.section(actor, dep)


def sections_key(dep: str) -> str:
    """The key of a département's section tabs: `st.session_state[sections_key(dep)]` is the open one."""
    return f"sections_{dep}"


def _repli(label: str, key: str) -> ExpanderContainer:
    """A folded section whose content the caller draws only once it is open (`.open`): a data
    grid costs the browser about a tenth of a second even folded."""
    return st.expander(label, key=key, on_change="rerun")


def _a_faire(actor: Actor, dep: str, au: dt.date, version: int) -> None:
    rencontres_df = _rencontres_quartiers(dep, version)
    names = _quartier_names(au, dep, version)
    writer = allowed(actor, Action.ECRIRE_RENCONTRE, RencontreCible(dep))
    suivi = _suivi(actor, au, dep, version).copy()
    suivi["quartiers_noms"] = [_quartiers_text(rencontres_df.get(int(rid), ""), names) for rid in suivi["id"]]
    suivi["ou_en_est"] = [
        countdown(due, au, done_on=sent, done="envoyée")
        for due, sent in zip(suivi["synthese_due_le"], suivi["synthese_envoyee_le"], strict=True)
    ]
    non_couverts = _non_couverts(actor, au, dep, version)
    planned = _planned_by_qpv(dep, au, version)

    st.subheader("À faire")
    st.caption("Chaque ligne ouvre la rencontre ou le quartier dans la page Rencontres.")
    late = suivi[suivi["etat_synthese"] == "en_retard"]
    missing = suivi[~suivi["compte_rendu"]]
    _action_list(
        f"Quartiers sans rencontre tenue ({fr_number(len(non_couverts))})",
        [_quartier_action(row, dep, writer, planned) for row in non_couverts.to_dict("records")],
        key=f"todo_quartiers_{dep}",
        empty="Tous les quartiers ont eu au moins une rencontre tenue.",
    )
    _action_list(
        f"Synthèses aux participants en retard ({fr_number(len(late))})",
        [
            _rencontre_action(row, dep, f"synthèse due le {fr_date(row['synthese_due_le'])}, {row['ou_en_est']}")
            for row in late.to_dict("records")
        ],
        key=f"todo_syntheses_{dep}",
        empty="Aucune synthèse aux participants en retard.",
    )
    _action_list(
        f"Comptes rendus manquants ({fr_number(len(missing))})",
        [_rencontre_action(row, dep, "compte rendu à déposer") for row in missing.to_dict("records")],
        key=f"todo_cr_{dep}",
        empty="Toutes les rencontres tenues ont leur compte rendu.",
    )
    folded = _repli("Tableau des quartiers sans rencontre tenue", f"deplie_non_couverts_{dep}")
    if folded.open:
        with folded:
            table(
                non_couverts,
                {
                    "qpv_nom": "Quartier",
                    "communes": "Communes",
                    "qpv_code": "Code QPV",
                    "statut_libelle": "Statut",
                    "prochaine_prevue": "Prochaine rencontre prévue",
                    "reponses_questionnaire": "Réponses questionnaire",
                },
                key=f"non_couverts_{dep}",
                filename=f"qpv-non-couverts-{dep}.csv",
                empty="Aucun quartier sans rencontre tenue.",
            )
    st.subheader("Échéances")
    campaign = _campaign(version)
    steps = pd.DataFrame(
        [{"Échéance": e.libelle, "Date": e.date, "Où en est-on": countdown(e.date, au)} for e in campaign["echeances"]]
    )
    table(
        steps,
        {"Échéance": "Échéance", "Date": "Date", "Où en est-on": "Où en est-on"},
        key=f"echeances_{dep}",
        filename="echeances.csv",
    )
    suivi_columns = {
        "id": "N°",
        "date": "Date de la rencontre",
        "lieu": "Lieu",
        "quartiers_noms": "Quartiers",
        "synthese_due_le": "Synthèse due le",
        "ou_en_est": "Synthèse aux participants",
        "etat_synthese_libelle": "État",
        "compte_rendu": "Compte rendu déposé",
    }
    folded = _repli("Toutes les rencontres tenues et leurs comptes rendus", f"deplie_suivi_{dep}")
    if folded.open:
        with folded:
            table(
                suivi,
                suivi_columns,
                key=f"suivi_{dep}",
                filename=f"suivi-rencontres-{dep}.csv",
                empty="Aucune rencontre tenue.",
            )


QUARTIER_COLUMNS = {  # beside the map: the two columns it shows first, then the rest (scrolls)
    "qpv_nom": "Quartier",
    "statut_libelle": "Statut",
    "etape": "Déclarations",
    "communes": "Communes",
    "qpv_code": "Code QPV",
    "couverture": "Couverture",
    "premiere_rencontre": "Première rencontre tenue",
    "rencontres_tenues": "Rencontres tenues",
    "reponses_questionnaire": "Réponses questionnaire",
}


def _quartiers(actor: Actor, dep: str, au: dt.date, counts: pd.DataFrame, version: int) -> None:
    st.subheader("Carte des quartiers")
    status = _status(actor, au, dep, version)
    points = geo.map_points(status, maps.quartier_positions(dep, version))
    meetings = geo.map_meetings(maps.territory_meetings(dep, au, version), points)
    left, right = st.columns([3, 2])
    with left:
        show_chart(
            cached_chart(maps.quartiers_map, dep, points, meetings, f"Quartiers de {DEPARTEMENTS[dep][0]} par statut")
        )
        st.caption(
            "Chaque point est un quartier, placé sur sa commune ; forme et couleur disent son statut. "
            "Un losange noir est une rencontre à l'échelle d'une commune ou d'une intercommunalité, "
            "reliée aux quartiers qu'elle a couverts. Un cercle bleu entoure un quartier où une rencontre "
            "déclarée par un organisateur local attend votre validation (elle ne compte pas encore)."
        )
    with right:
        table(points, QUARTIER_COLUMNS, key=f"qpv_{dep}", filename=f"qpv-{dep}.csv", pinned=("Quartier",))
        if not meetings.empty:
            st.markdown("**Rencontres à l'échelle d'un territoire**")
            st.dataframe(
                meetings.groupby(["rencontre", "libelle"], as_index=False)["qpv_code"]
                .agg(", ".join)
                .rename(columns={"rencontre": "N°", "libelle": "Rencontre", "qpv_code": "Quartiers couverts"}),
                hide_index=True,
                key=f"territoire_{dep}",
            )
    st.subheader("Statut des quartiers")
    status_counts = counts.assign(Département=counts["nom"])
    chart_and_table(
        cached_chart(status_chart, status_counts, "Département", "Répartition des QPV par statut"),
        long_status(status_counts, "Département"),
        {"Statut": "Statut", "QPV": "QPV", "taux_part": "Part"},
        key=f"statuts_{dep}",
        filename=f"statuts-{dep}.csv",
    )
    burnup_section(actor, au, region=None, dep=dep, key=f"burnup_{dep}")


def render_mon_departement(actor: Actor) -> None:
    dep = actor.departement_code or ""
    st.title(f"Mon département — {DEPARTEMENTS[dep][0]} ({dep})")
    render_file(actor, dep)  # the queue « À valider » first
    au = au_input("couverture_au_departement")
    departement_detail(actor, dep, au)


REGION_COLUMNS = {
    "departement": "Département",
    "syntheses_en_retard": "Synthèses en retard",
    "comptes_rendus_manquants": "CR manquants",
    "synthese_en_retard": "Synthèse dép. en retard",
    "taux_non_couvert": "Non couverts",
    "taux_prevu": "Prévus",
    "taux_couvert_retard": "Couverts en retard",
    "taux_couvert_delais": "Couverts à temps",
    "qpv": "QPV",
    "couvert_indirect": "Couverts indirect.",
    "rencontres_tenues": "Rencontres tenues",
    "declarees": "À valider",
    "validees_organisateurs": "Validées (organisateurs)",
    "synthese_statut_libelle": "Synthèse dép.",
    "reponses_questionnaire": "Réponses questionnaire",
}


def by_risk(by_dep: pd.DataFrame) -> pd.DataFrame:
    """Départements most at risk first: the most quartiers without any meeting, then the most
    late syntheses and missing comptes rendus; the name carries the code ("93 – Seine-Saint-Denis")."""
    frame = by_dep.assign(departement=by_dep["code"] + " – " + by_dep["nom"])
    return frame.sort_values(
        ["taux_non_couvert", "syntheses_en_retard", "comptes_rendus_manquants", "code"],
        ascending=[False, False, False, True],
    ).reset_index(drop=True)


REGION_SECTIONS = ("Carte des départements", "Statuts des QPV", "Progression")
REGION_SECTIONS_KEY = "region_sections"


def render_ma_region(actor: Actor) -> None:
    region = actor.region_code or ""
    st.title(f"Ma région — {REGIONS.get(region, region)}")
    au = au_input("couverture_au_region")
    version = data_version()
    by_dep = _counts(actor, au, "departement", region, None, version)
    if by_dep.empty:
        st.info("Aucun quartier prioritaire dans la région.")
        return
    metrics(_counts(actor, au, "region", region, None, version).iloc[0])
    # The overview in tabs, only the open one drawn (a click reruns the page): the map, the
    # statuses and the progression at once were three charts and three data grids.
    carte, statuts, progression = st.tabs(REGION_SECTIONS, key=REGION_SECTIONS_KEY, on_change="rerun")
    if carte.open is not False:
        with carte:
            chart_and_table(
                cached_chart(
                    maps.departements_map,
                    by_dep,
                    "Taux de couverture par département",
                    [code for code, (_, reg) in DEPARTEMENTS.items() if reg == region],
                ),
                by_dep.sort_values(["taux_couverts", "code"]),
                {"code": "Code", "nom": "Département", "qpv": "QPV", "couverts": "QPV couverts",
                 "taux_couverts": "Taux"},
                key="region_carte",
                filename=f"couverture-carte-region-{region}.csv",
            )  # fmt: skip
    if statuts.open:
        with statuts:
            chart_and_table(
                cached_chart(
                    status_chart, by_dep.assign(Département=by_dep["nom"]), "Département",
                    "Statut des QPV par département",
                ),
                long_status(by_dep.assign(Département=by_dep["nom"]), "Département"),
                {"Département": "Département", "Statut": "Statut", "QPV": "QPV", "taux_part": "Part"},
                key="region_statuts",
                filename=f"statuts-region-{region}.csv",
            )  # fmt: skip
    if progression.open:
        with progression:
            burnup_section(actor, au, region=region, dep=None, key="region_burnup")
    st.subheader("Départements de la région, les plus en retard d'abord")
    st.caption(
        "Classés par part de quartiers sans rencontre, puis par synthèses en retard et comptes rendus manquants ; "
        "cliquez sur un en-tête pour trier autrement. Choisissez un département sous le tableau pour ouvrir son détail."
    )
    ranked = by_risk(by_dep)
    table(
        ranked,
        REGION_COLUMNS,
        key="region_departements",
        filename=f"couverture-region-{region}.csv",
        pinned=("Département",),
    )
    codes = list(ranked["code"])
    asked = params.code("departement")  # a line of the home « À faire » panel
    if params.present("departement"):
        params.retirer("departement")
        if asked in codes:
            st.session_state["region_departement"] = asked
    dep = st.selectbox(
        "Département à détailler",
        codes,
        index=None,
        format_func=lambda c: f"{c} – {DEPARTEMENTS[c][0]}",
        key="region_departement",
        placeholder="Choisir un département…",
    )
    if dep is None:
        st.caption("Le détail du département (quartiers à couvrir, synthèses, comptes rendus) s'affiche ici.")
        return
    with st.container(border=True, key="region_detail"):
        st.header(f"{DEPARTEMENTS[dep][0]} ({dep})")
        departement_detail(actor, dep, au)


def _national_map_key() -> str:
    """The national map's widget key, renewed after each click (see _open_clicked_departement)."""
    return f"national_carte_clic_{st.session_state.get('national_carte_tour', 0)}"


def _open_clicked_departement(key: str, codes: list[str]) -> None:
    """The map's on_select: a click on a département opens it in the select under the map.

    The browser sends a map selection only when it differs from the last one sent: a second
    click on the same département (after choosing another one in the select, or after leaving
    the page and coming back) would never reach the server. So each click renews the map's key:
    the map is drawn afresh, with nothing selected, and the next click is always a change."""
    state = st.session_state.get(key) or {}
    selected = (state.get("selection") or {}).get(maps.CLIC) or []
    code = str(selected[0].get("code", "")) if selected and isinstance(selected[0], dict) else ""
    if not code:
        return
    st.session_state["national_carte_tour"] = st.session_state.get("national_carte_tour", 0) + 1
    if code in codes:
        st.session_state["national_departement"] = code
        st.session_state["national_carte_ouvert"] = True


# The national view's sections, drawn one at a time (tabs with on_change="rerun"): all of them at
# once were 1 200 elements, five tables and three charts, about 1 s to draw in Chromium.
NATIONAL_SECTIONS = (
    "Carte",
    "Par région",
    "Progression",
    "Par département",
    "Organisateurs locaux",
    "Engagements et données ouvertes",
)
NATIONAL_SECTIONS_KEY = "national_sections"


def render_national(actor: Actor) -> None:
    st.title("Vue nationale")
    au = au_input("couverture_au_national")
    version = data_version()
    national = _counts(actor, au, "national", None, None, version)
    if national.empty:  # no QPV imported yet: nothing to cover
        st.info("Aucun quartier prioritaire n'est encore importé : la couverture s'affichera après l'import des QPV.")
        return
    metrics(national.iloc[0])
    carte, regions, progression, departements, organisateurs, engagements = st.tabs(
        NATIONAL_SECTIONS, key=NATIONAL_SECTIONS_KEY, on_change="rerun"
    )
    if carte.open is not False:
        with carte:
            _national_map(actor, au, version)
    if regions.open:
        with regions:
            by_region = _counts(actor, au, "region", None, None, version)
            chart_and_table(
                cached_chart(
                    status_chart, by_region.assign(Région=by_region["nom"]), "Région", "Statut des QPV par région"
                ),
                by_region,
                {"code": "Code", "nom": "Région", **COUNTS_COLUMNS},
                key="national_regions",
                filename="couverture-par-region.csv",
            )
    if progression.open:
        with progression:
            burnup_section(actor, au, region=None, dep=None, key="national_burnup")
    if departements.open:
        with departements:
            by_dep = _counts(actor, au, "departement", None, None, version)
            table(by_dep, DEP_COLUMNS, key="national_departements", filename="couverture-par-departement.csv")
    if organisateurs.open:
        with organisateurs:
            chaine_section(actor, version)
    if engagements.open:
        with engagements:
            restitution.themes_without_engagement()
            restitution.open_data_download()


def _national_map(actor: Actor, au: dt.date, version: int) -> None:
    """The map of the départements beside its table, and the detail of the one clicked or chosen."""
    by_dep = _counts(actor, au, "departement", None, None, version)
    st.caption(
        "Rouge : aucun quartier couvert ; bleu France : tous couverts ; gris : pas de QPV. Outre-mer à gauche. "
        "À droite, les départements les moins couverts d'abord. Cliquez sur un département de la carte, ou "
        "choisissez-le sous la carte, pour ouvrir son détail."
    )
    map_key = _national_map_key()
    chart_and_table(
        cached_chart(maps.departements_map, by_dep, "Taux de couverture par département", None, True),
        by_dep[by_dep["qpv"] > 0].sort_values(["taux_couverts", "code"]),
        {"code": "Code", "nom": "Département", "qpv": "QPV", "couverts": "Couverts", "taux_couverts": "Taux"},
        key="national_carte",
        filename="couverture-carte-departements.csv",
        select_key=map_key,
        on_select=partial(_open_clicked_departement, map_key, list(by_dep["code"])),
    )
    clicked = bool(st.session_state.pop("national_carte_ouvert", False))
    dep = st.selectbox(
        "Détail d'un département",
        [None, *by_dep["code"]],
        format_func=lambda c: "—" if c is None else f"{c} – {DEPARTEMENTS[c][0]}",
        key="national_departement",
        placeholder="Choisir…",
    )
    if dep is not None:
        with st.container(border=True, key="national_detail"):
            st.header(f"{DEPARTEMENTS[dep][0]} ({dep})")
            if clicked:  # opened from the map: brought into view
                notices.faire_defiler("national_detail")
            departement_detail(actor, dep, au)
