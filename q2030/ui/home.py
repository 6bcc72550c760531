"""Home page: welcome on an empty database, key figures of the role's scope otherwise."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from q2030 import clock, relances
from q2030.access import NATIONAL, Action, Actor, Scope, allowed, lecture
from q2030.campaigns import active_campaign, situation_par_defaut
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_count, fr_date, fr_number, fr_percent
from q2030.nomenclature import Role
from q2030.overview import KeyFigures, database_is_empty, key_figures
from q2030.ui import liens
from q2030.ui.admin import report_frame
from q2030.ui.organisateur import render_mes_rencontres
from q2030.ui.relances import render_mes_relances
from q2030.ui.shell import PAGES, auth_mode, data_version, engine, escape_markdown, show_error
from q2030.ui.tables import show_table

DATA_GOUV_QPV = "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"


@st.cache_data(show_spinner=False)
def _key_figures(scope: Scope, version: int) -> KeyFigures:
    with session_scope(engine()) as session:
        return key_figures(session, actor=scope)


def render(actor: Actor) -> None:
    st.title("Quartiers 2030 — suivi des concertations")
    with session_scope(engine()) as session:
        empty = database_is_empty(session)
    if empty:
        _welcome(actor)
        return
    _import_report()
    if lecture(actor).organisation is not None:  # a local organiser: its own meetings only
        render_mes_rencontres(actor)
        a_faire_panel(actor)
        render_mes_relances(actor)
        return
    figures = _key_figures(lecture(actor), data_version())
    st.caption(f"Périmètre : {figures.perimetre}")
    rate = figures.qpv_couverts / figures.qpv if figures.qpv else None
    columns = st.columns(4)
    columns[0].metric("Quartiers (QPV)", fr_number(figures.qpv))
    # Sub-figures are shares and counts, not trends: no arrow (delta_arrow="off").
    columns[1].metric(
        "QPV couverts",
        fr_number(figures.qpv_couverts),
        fr_percent(rate),
        delta_color="off",
        delta_arrow="off",
        help="Quartiers couverts par au moins une rencontre tenue ; en dessous, la part des QPV du périmètre.",
    )
    columns[2].metric(
        "Rencontres tenues",
        fr_number(figures.rencontres_tenues),
        fr_count(figures.rencontres_prevues, "prévue"),
        delta_color="off",
        delta_arrow="off",
        help="En dessous, les rencontres prévues (pas encore tenues).",
    )
    columns[3].metric(
        "Participants",
        fr_number(figures.participants),
        f"{fr_number(figures.contributions)} contributions",
        delta_color="off",
        delta_arrow="off",
        help="Participants aux rencontres tenues ; en dessous, les contributions saisies.",
    )
    st.markdown(
        f"Échéances de la campagne : rencontres tenues au plus tard le **{fr_date(figures.echeance_rencontres)}**, "
        f"synthèse départementale au plus tard le **{fr_date(figures.echeance_synthese)}**."
    )
    a_faire_panel(actor)
    render_mes_relances(actor)


# Where each kind of line opens (its cle prefix): the page and the query it carries.
_PAGE_OF_URL = {Path(page.path).stem.split("_", 1)[-1]: page.path for page in PAGES.values()}


def line_target(ligne: dict[str, str], actor: Actor) -> tuple[str, dict[str, str]]:
    """The page (and query) where a « À faire » line is acted on, in one click."""
    kind, _, item = ligne["cle"].partition(":")
    dep = actor.departement_code or ""
    rencontres_page = PAGES["rencontres"].path
    if kind == "qpv":
        if "aucune rencontre prévue" in ligne["texte"]:
            return rencontres_page, {"planifier": item, "departement": dep}
        return rencontres_page, {"departement": dep}
    if kind in ("synthese_participants", "compte_rendu"):
        return rencontres_page, {"rencontre": item, "departement": dep}
    page = _PAGE_OF_URL.get(urlsplit(ligne["lien"]).path.rstrip("/").rsplit("/", 1)[-1], PAGES["accueil"].path)
    if kind == "risque" and page == PAGES["ma_region"].path:
        return page, {"departement": item}
    return page, {}


@st.cache_data(show_spinner=False)
def _a_faire(actor: Actor, au: dt.date, version: int) -> list[dict[str, str]]:
    compute = relances.LIGNES.get(actor.role)
    if compute is None:
        return []
    with session_scope(engine()) as session:
        campaign = active_campaign(session)
        lines = compute(session, actor, campaign, au)
    return [{**dataclasses.asdict(line), "section": relances.TYPES[line.type][1]} for line in lines]


def a_faire_panel(actor: Actor) -> None:
    """What the user has to do now, per role; each line opens the place to act."""
    if actor.role not in relances.LIGNES:  # contenu selon le rôle
        return
    with session_scope(engine()) as session:
        campaign = active_campaign(session)
    today = clock.today()
    au = situation_par_defaut(campaign.restitution_fin, today)
    st.subheader("À faire")
    if au < today:
        st.caption(f"Campagne terminée : situation au {fr_date(au)}, fin de la fenêtre de restitution publique.")
    lines = _a_faire(actor, au, data_version())
    if not lines:
        st.success("Rien en attente pour votre périmètre.")
        return
    sections: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        sections.setdefault(line["section"], []).append(line)
    for number, (section, items) in enumerate(sections.items()):
        st.markdown(f"**{section} ({fr_number(len(items))})**")
        links = [_target_and_label(line, actor) for line in items]
        liens.link_list(links, key=f"todo_accueil_{number}", empty="", scroll_above=6, height=300)


def _target_and_label(line: dict[str, str], actor: Actor) -> tuple[str, str, dict[str, str]]:
    page, query = line_target(line, actor)
    return page, escape_markdown(line["texte"]), query


IMPORT_REPORT = "welcome_import_report"


def _import_report() -> None:
    """The outcome of the first QPV import, per département (the import reran the page)."""
    report = st.session_state.pop(IMPORT_REPORT, None)
    if not report:
        return
    st.success(f"{fr_number(report['total'])} quartiers importés. La base est prête.")
    with st.expander("Détail par département", expanded=False):
        show_table(pd.DataFrame(report["rows"]), key="welcome_import_table", empty="Aucun quartier.")


def _welcome(actor: Actor) -> None:
    st.info(
        "La base est vide. Deux façons de commencer : importer la liste officielle des quartiers "
        "prioritaires, ou charger une campagne de démonstration."
    )
    setup_actor = (
        Actor(email="admin@demo.gouv.fr", role=Role.ADMIN, nom="Administrateur (démo)")
        if auth_mode() == "demo"
        else actor
    )
    if not allowed(setup_actor, Action.ADMINISTRER, NATIONAL):
        st.warning("Seul un administrateur peut initialiser la base. Contactez l'administrateur national.")
        return
    left, right = st.columns(2)
    with left:
        st.subheader("Importer la liste des QPV")
        st.markdown(f"Fichier CSV ou Excel publié sur [data.gouv.fr]({DATA_GOUV_QPV}).")
        geographie = st.radio("Géographie", ["2024", "2015"], horizontal=True, key="welcome_geographie")
        upload = st.file_uploader("Fichier des quartiers", type=["csv", "txt", "xlsx"], key="welcome_qpv_file")
        if upload is not None and st.button("Importer", type="primary", key="welcome_import"):
            from q2030.qpv_import import import_qpv

            try:
                with st.spinner("Import en cours…"), session_scope(engine()) as session:
                    report = import_qpv(
                        session,
                        actor=setup_actor,
                        content=upload.getvalue(),
                        filename=upload.name,
                        geographie=geographie,
                    )
            except Q2030Error as error:
                show_error(error)
            else:  # shown on the next run, once the base is no longer empty (_import_report)
                st.session_state[IMPORT_REPORT] = {
                    "total": report.total,
                    "rows": report_frame(report).to_dict("records"),
                }
                st.rerun()
    with right:
        st.subheader("Charger la démonstration")
        st.markdown(
            "Une campagne fictive (rencontres de mai à septembre 2023). Sans fichier, elle invente 10 quartiers "
            "par département ; **si vous avez choisi le fichier officiel des quartiers à gauche, elle l'utilise** "
            "(quartiers réels, comme `python -m q2030 demo --qpv fichier.csv`)."
        )
        if st.button("Charger la démonstration", key="welcome_demo"):
            from q2030.demo import load_demo
            from q2030.demo_comptes import load_comptes

            bar = st.progress(0.0, text="Préparation…")
            try:
                with tempfile.TemporaryDirectory() as folder, session_scope(engine()) as session:
                    qpv_file = None
                    if upload is not None:
                        qpv_file = Path(folder) / Path(upload.name).name
                        qpv_file.write_bytes(upload.getvalue())

                    def progress(fraction: float, message: str) -> None:
                        bar.progress(fraction, text=message)

                    load_demo(session, actor=setup_actor, qpv_file=qpv_file, progress=progress)
                    load_comptes(session, actor=setup_actor)  # every role's account, organisers' meetings
            except Q2030Error as error:
                show_error(error)
            else:
                st.rerun()
