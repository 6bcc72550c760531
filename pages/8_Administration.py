"""Administration : utilisateurs, campagne, référentiel QPV, journal d'audit (administrateur)."""

from q2030.ui import run_page
from q2030.ui.admin import render

run_page("administration", render)
