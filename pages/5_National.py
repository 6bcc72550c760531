"""Vue nationale (en construction)."""

import streamlit as st

from q2030.ui import page_setup

actor = page_setup("national")
if actor is not None:
    st.title("Vue nationale")
    st.info("Cette page est en cours de construction.")
