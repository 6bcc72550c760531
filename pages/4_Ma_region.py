"""Ma région (en construction)."""

import streamlit as st

from q2030.ui import page_setup

actor = page_setup("ma_region")
if actor is not None:
    st.title("Ma région")
    st.info("Cette page est en cours de construction.")
