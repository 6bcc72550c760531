"""Rencontres : liste et chaîne des comptes rendus, saisie, documents, contributions."""

from q2030.ui import run_page
from q2030.ui.rencontres import render_rencontres

run_page("rencontres", render_rencontres)
