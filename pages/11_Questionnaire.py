"""Questionnaire en ligne : correspondance des colonnes, aperçu et import des réponses (administrateur)."""

from q2030.ui import page_footer, page_setup
from q2030.ui.questionnaire import render_import

actor = page_setup("questionnaire")
if actor is not None:
    render_import(actor)
page_footer()
