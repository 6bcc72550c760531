"""Priorités des habitants (en construction)."""

import streamlit as st

from q2030.ui import page_setup

actor = page_setup("priorites")
if actor is not None:
    st.title("Priorités des habitants")
    st.info("Cette page est en cours de construction.")
