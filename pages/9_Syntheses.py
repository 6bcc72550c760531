"""Synthèses départementales (commission, administrateurs, préfecture de région) : statut, date, document, ZIP."""

from q2030.ui import run_page
from q2030.ui.synthese import render_syntheses

run_page("syntheses", render_syntheses)
