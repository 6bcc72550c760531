"""Vue nationale (commission, ANCT, administrateur) : régions, carte, progression, départements."""

from q2030.ui import page_footer, page_setup
from q2030.ui.coverage import render_national

actor = page_setup("national")
if actor is not None:
    render_national(actor)
page_footer()
