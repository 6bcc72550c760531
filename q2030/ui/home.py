"""Home page: welcome on an empty database, key figures of the role's scope otherwise."""

from __future__ import annotations

import dataclasses

import streamlit as st

from q2030.access import Actor
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_date, fr_number, fr_percent
from q2030.overview import database_is_empty, key_figures
from q2030.ui.relances import render_mes_relances
from q2030.ui.shell import auth_mode, data_version, engine, scope_reader, show_error

DATA_GOUV_QPV = "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"


@st.cache_data(show_spinner=False)
def _key_figures(actor: Actor, version: int) -> dict:
    with session_scope(engine()) as session:
        return dataclasses.asdict(key_figures(session, actor=actor))


def render(actor: Actor) -> None:
    st.title("Quartiers 2030 — suivi des concertations")
    with session_scope(engine()) as session:
        empty = database_is_empty(session)
    if empty:
        _welcome(actor)
        return
    figures = _key_figures(scope_reader(actor), data_version())
    st.caption(f"Périmètre : {figures['perimetre']}")
    rate = figures["qpv_couverts"] / figures["qpv"] if figures["qpv"] else None
    columns = st.columns(4)
    columns[0].metric("Quartiers (QPV)", fr_number(figures["qpv"]))
    # Sub-figures are shares and counts, not trends: no arrow (delta_arrow="off").
    columns[1].metric(
        "QPV couverts",
        fr_number(figures["qpv_couverts"]),
        fr_percent(rate),
        delta_color="off",
        delta_arrow="off",
        help="Quartiers couverts par au moins une rencontre tenue ; en dessous, la part des QPV du périmètre.",
    )
    columns[2].metric(
        "Rencontres tenues",
        fr_number(figures["rencontres_tenues"]),
        f"{fr_number(figures['rencontres_prevues'])} prévue(s)",
        delta_color="off",
        delta_arrow="off",
        help="En dessous, les rencontres prévues (pas encore tenues).",
    )
    columns[3].metric(
        "Participants",
        fr_number(figures["participants"]),
        f"{fr_number(figures['contributions'])} contributions",
        delta_color="off",
        delta_arrow="off",
        help="Participants aux rencontres tenues ; en dessous, les contributions saisies.",
    )
    st.markdown(
        f"Échéances de la campagne : rencontres tenues au plus tard le **{fr_date(figures['echeance_rencontres'])}**, "
        f"synthèse départementale au plus tard le **{fr_date(figures['echeance_synthese'])}**."
    )
    render_mes_relances(actor)


def _welcome(actor: Actor) -> None:
    st.info(
        "La base est vide. Deux façons de commencer : importer la liste officielle des quartiers "
        "prioritaires, ou charger une campagne de démonstration."
    )
    setup_actor = (
        Actor(email="admin@demo.gouv.fr", role="admin", nom="Administrateur (démo)") if auth_mode() == "demo" else actor
    )
    if not setup_actor.is_admin:
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
            else:
                st.success(f"{fr_number(report.total)} quartiers importés.")
                st.rerun()
    with right:
        st.subheader("Charger la démonstration")
        st.markdown("Une campagne fictive (531 rencontres, mai à septembre 2023) sur des quartiers fictifs.")
        if st.button("Charger la démonstration", key="welcome_demo"):
            from q2030.demo import load_demo

            bar = st.progress(0.0, text="Préparation…")
            try:
                with session_scope(engine()) as session:
                    load_demo(session, actor=setup_actor, progress=lambda f, m: bar.progress(f, text=m))
            except Q2030Error as error:
                show_error(error)
            else:
                st.rerun()
