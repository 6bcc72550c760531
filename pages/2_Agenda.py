"""Agenda des rencontres (en construction)."""

import streamlit as st

from q2030.ui import page_setup

actor = page_setup("agenda")
if actor is not None:
    st.title("Agenda des rencontres")
    st.info("Cette page est en cours de construction.")
