"""Échanges Excel: modèle de saisie, import, synthèse départementale, export national."""

from q2030.ui import run_page
from q2030.ui.excel import render

run_page("excel", render)
