"""Mon département (en construction)."""

import streamlit as st

from q2030.ui import page_setup

actor = page_setup("mon_departement")
if actor is not None:
    st.title("Mon département")
    st.info("Cette page est en cours de construction.")
