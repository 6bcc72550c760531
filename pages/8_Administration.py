"""Administration : utilisateurs, campagne, référentiel QPV, journal d'audit (administrateur)."""

from q2030.ui import page_footer, page_setup
from q2030.ui.admin import render

actor = page_setup("administration")
if actor is not None:
    render(actor)
page_footer()
