"""Synthèses départementales (commission, administrateurs, préfecture de région) : statut, date, document, ZIP."""

from q2030.ui import page_footer, page_setup
from q2030.ui.synthese import render_syntheses

actor = page_setup("syntheses")
if actor is not None:
    render_syntheses(actor)
page_footer()
