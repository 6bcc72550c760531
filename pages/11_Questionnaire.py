"""Questionnaire en ligne : correspondance des colonnes, aperçu et import des réponses (administrateur)."""

from q2030.ui import run_page
from q2030.ui.questionnaire import render_import

run_page("questionnaire", render_import)
