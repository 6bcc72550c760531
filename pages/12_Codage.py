"""Codage des textes libres : un texte à la fois, au clavier, avec suggestions (commission, administrateur)."""

from q2030.ui import run_page
from q2030.ui.questionnaire import render_codage

run_page("codage", render_codage)
