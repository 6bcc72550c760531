"""Vue nationale (commission, ANCT, administrateur) : régions, carte, progression, départements."""

from q2030.ui import run_page
from q2030.ui.coverage import render_national

run_page("national", render_national)
