"""Accueil : chiffres clés du périmètre de l'utilisateur, ou accueil d'une base vide."""

from q2030.ui import run_page
from q2030.ui.home import render

run_page("accueil", render)
