"""Déclaration d'accessibilité (ouverte à tous, sans connexion)."""

from q2030.ui.legal import render_accessibilite
from q2030.ui.shell import info_page_setup, page_footer

info_page_setup("Accessibilité")
render_accessibilite()
page_footer()
