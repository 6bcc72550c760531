"""Administration (en construction)."""

import streamlit as st

from q2030.ui import page_setup

actor = page_setup("administration")
if actor is not None:
    st.title("Administration")
    st.info("Cette page est en cours de construction.")
