"""Codage des textes libres : un texte à la fois, au clavier, avec suggestions (commission, administrateur)."""

from q2030.ui import page_footer, page_setup
from q2030.ui.questionnaire import render_codage

actor = page_setup("codage")
if actor is not None:
    render_codage(actor)
page_footer()
