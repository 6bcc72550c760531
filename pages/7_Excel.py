"""Échanges Excel (en construction)."""

import streamlit as st

from q2030.ui import page_setup

actor = page_setup("excel")
if actor is not None:
    st.title("Échanges Excel")
    st.info("Cette page est en cours de construction.")
