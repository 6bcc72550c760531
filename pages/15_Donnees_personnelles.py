"""Données personnelles (ouverte à tous, sans connexion)."""

from q2030.ui.legal import render_donnees_personnelles
from q2030.ui.shell import info_page_setup, page_footer

info_page_setup("Données personnelles")
render_donnees_personnelles()
page_footer()
