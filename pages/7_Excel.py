"""Échanges Excel: modèle de saisie, import, synthèse départementale, export national."""

from q2030.ui import page_footer, page_setup
from q2030.ui.excel import render

actor = page_setup("excel")
if actor is not None:
    render(actor)
page_footer()
