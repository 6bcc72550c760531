"""The "Agenda des rencontres" page: planned rencontres by département and date, iCalendar export."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from q2030 import agenda, clock
from q2030.access import Actor
from q2030.db import session_scope
from q2030.formatting import fr_date
from q2030.nomenclature import FORMATS, ORGANISATEURS, label
from q2030.referentiel import DEPARTEMENTS
from q2030.ui.shell import data_version, engine


@st.cache_data(show_spinner=False)
def _affichage(actor: Actor, dep: str | None, today: dt.date, version: int) -> tuple[pd.DataFrame, dict[int, str]]:
    """The table as shown and the label of each rencontre in « Une seule rencontre », built once per
    data version (row by row in Python: 50 ms a run for 300 rencontres when built at each run)."""
    with session_scope(engine()) as session:
        frame = agenda.upcoming_rencontres(session, actor=actor, departement_code=dep, today=today)
    if frame.empty:
        return pd.DataFrame(), {}
    dates = [fr_date(d) for d in frame["date"]]
    places = [agenda.where(row) for row in frame.to_dict("records")]
    shown = pd.DataFrame(
        {
            "Département": frame["departement_code"] + " – " + frame["departement"],
            "Date": dates,
            "Horaire": [
                f"{s:%H:%M}" + (f" – {e:%H:%M}" if e is not None and pd.notna(e) else "")
                if s is not None and pd.notna(s)
                else ""
                for s, e in zip(frame["heure_debut"], frame["heure_fin"], strict=True)
            ],
            "Pour": places,
            "Lieu": frame["lieu"],
            "Adresse": frame["adresse"],
            "Format": frame["format"].map(lambda c: label(FORMATS, c)),
            "Organisateurs": frame["organisateurs"].map(lambda c: ", ".join(label(ORGANISATEURS, x) for x in c)),
        }
    )
    choices = {int(i): f"{d} – {p}" for i, d, p in zip(frame["id"], dates, places, strict=True)}
    return shown, choices


@st.cache_data(show_spinner=False)
def _ics(actor: Actor, rencontre_id: int | None, dep: str | None, today: dt.date, version: int) -> bytes:
    with session_scope(engine()) as session:
        return agenda.ics(session, actor=actor, rencontre_id=rencontre_id, departement_code=dep, today=today)


def render(actor: Actor) -> None:
    st.title("Agenda des rencontres")
    st.caption("Rencontres prévues à partir d'aujourd'hui, par département et par date. Heures locales.")
    dep = st.selectbox(
        "Département",
        list(DEPARTEMENTS),
        format_func=lambda c: f"{c} – {DEPARTEMENTS[c][0]}",
        # A référent opens on their own département; "Tous les départements" stays one click away.
        index=list(DEPARTEMENTS).index(actor.departement_code) if actor.departement_code in DEPARTEMENTS else None,
        placeholder="Tous les départements",
        key="ag_departement",
    )
    today, version = clock.today(), data_version()
    shown, choices = _affichage(actor, dep, today, version)
    if not choices:
        st.info("Aucune rencontre prévue.")
        return
    st.dataframe(shown, hide_index=True, width="stretch", key="ag_table")
    st.download_button(
        "Ajouter toutes ces rencontres à mon agenda (.ics)",
        _ics(actor, None, dep, today, version),
        file_name=f"rencontres-quartiers-2030{'-' + dep if dep else ''}.ics",
        mime="text/calendar",
        key="ag_ics_all",
        on_click="ignore",
    )
    chosen = st.selectbox(
        "Une seule rencontre",
        list(choices),
        format_func=choices.__getitem__,
        key="ag_choice",
        placeholder="Choisir…",
    )
    if chosen is not None:
        st.download_button(
            "Télécharger cette rencontre (.ics)",
            _ics(actor, int(chosen), None, today, version),
            file_name=f"rencontre-{chosen}.ics",
            mime="text/calendar",
            key="ag_ics_one",
            on_click="ignore",
        )
