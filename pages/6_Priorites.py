"""Priorités des habitants : classement des thèmes, carte de chaleur, régions, comparaison, recherche, exports."""

from q2030.ui import page_footer, page_setup
from q2030.ui.priorities import render

actor = page_setup("priorites")
if actor is not None:
    render(actor)
page_footer()
