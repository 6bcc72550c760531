"""Shared filters of the results pages, kept across pages.

In pages-directory mode a widget's state belongs to its page, so each filter lives in a
plain `st.session_state["filtre_<name>"]` entry: copied into the widget key before the
widget is drawn, copied back in its on_change (same pattern as shell._persisted/_save).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from q2030.access import Actor, lecture, region_of
from q2030.db import session_scope
from q2030.frontieres import EtatWidget
from q2030.nomenclature import AXES, FORMATS, PUBLICS, THEMES
from q2030.priorities import Filtres, quartiers
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.ui.shell import data_version, engine

NAMES = ("region", "departement", "qpv", "axe", "theme", "public", "debut", "fin", "format")
TOUS = "Tous"


def store_key(name: str) -> str:
    return f"filtre_{name}"


def widget_key(name: str) -> str:
    return f"widget_filtre_{name}"


def _prepare(name: str) -> str:
    st.session_state.setdefault(store_key(name), None)
    st.session_state[widget_key(name)] = st.session_state[store_key(name)]
    return widget_key(name)


def _save(name: str) -> None:
    value = st.session_state[widget_key(name)]
    st.session_state[store_key(name)] = value
    # Keep the territory consistent: a département outside the région, a QPV outside the
    # département would silently empty every table.
    if name == "region" and value:
        departement = st.session_state.get(store_key("departement"))
        if departement and DEPARTEMENTS[departement][1] != value:
            st.session_state[store_key("departement")] = None
            st.session_state[store_key("qpv")] = None
    if name == "departement":
        st.session_state[store_key("qpv")] = None


def open_on_scope(actor: Actor) -> None:
    """First visit: a référent sees their département, a préfecture de région its région
    (France stays the comparison); the filters then keep whatever the user picks."""
    if store_key("region") in st.session_state:
        return
    scope = lecture(actor)
    region = region_of(scope.departement_code) if scope.departement_code else scope.region_code
    st.session_state[store_key("region")] = None if scope.aucun else region
    st.session_state[store_key("departement")] = None if scope.organisation else scope.departement_code


def reset() -> None:
    for name in NAMES:
        st.session_state[store_key(name)] = None


@st.cache_data(show_spinner=False)
def _quartiers(departement: str, version: int) -> dict[str, str]:
    with session_scope(engine()) as session:
        return quartiers(session, departement=departement)


def _select(container: DeltaGenerator, label: str, name: str, options: dict[str, str], none_label: str = TOUS) -> None:
    container.selectbox(
        label,
        [None, *options],
        format_func=lambda code: none_label if code is None else options.get(code, code),
        key=_prepare(name),
        on_change=_save,
        args=(name,),
        placeholder="Choisir…",
    )


def current() -> Filtres:
    """The shared filters as stored (without drawing anything)."""
    values: dict[str, EtatWidget] = {name: st.session_state.get(store_key(name)) for name in NAMES}
    return Filtres(**values)


def draw() -> Filtres:
    """Draw the shared filters in the sidebar and return them."""
    bar = st.sidebar
    bar.subheader("Filtres")
    _select(bar, "Région", "region", REGIONS, "Toutes")
    region = st.session_state[store_key("region")]
    departements = {
        code: f"{code} – {nom}" for code, (nom, reg) in DEPARTEMENTS.items() if region is None or reg == region
    }
    _select(bar, "Département", "departement", departements)
    departement = st.session_state[store_key("departement")]
    if departement:
        _select(bar, "Quartier (QPV)", "qpv", _quartiers(departement, data_version()))
    _select(bar, "Axe", "axe", AXES)
    _select(bar, "Thème", "theme", {code: label for code, (label, _pilier) in THEMES.items()})
    _select(bar, "Public concerné", "public", PUBLICS)
    _select(bar, "Format de rencontre", "format", FORMATS)
    left, right = bar.columns(2)
    for column, label, name in ((left, "Du", "debut"), (right, "Au", "fin")):
        column.date_input(
            label,
            min_value=dt.date(2000, 1, 1),
            format="DD/MM/YYYY",
            key=_prepare(name),
            on_change=_save,
            args=(name,),
        )
    bar.button("Réinitialiser les filtres", key="filtres_reset", on_click=reset)
    return current()
