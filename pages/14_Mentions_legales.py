"""Mentions légales (ouverte à tous, sans connexion)."""

from q2030.ui.legal import render_mentions_legales
from q2030.ui.shell import info_page_setup, page_footer

info_page_setup("Mentions légales")
render_mentions_legales()
page_footer()
