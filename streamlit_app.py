"""Accueil : chiffres clés du périmètre de l'utilisateur, ou accueil d'une base vide."""

from q2030.ui import page_footer, page_setup
from q2030.ui.home import render

actor = page_setup("accueil")
if actor is not None:
    render(actor)
page_footer()
