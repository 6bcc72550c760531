"""Rencontres : liste et chaîne des comptes rendus, saisie, documents, contributions."""

from q2030.ui import page_footer, page_setup
from q2030.ui.rencontres import render_rencontres

actor = page_setup("rencontres")
if actor is not None:
    render_rencontres(actor)
page_footer()
