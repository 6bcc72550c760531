"""Mon département (référent) : quartiers non couverts, échéances, synthèses en retard."""

from q2030.ui import run_page
from q2030.ui.coverage import render_mon_departement

run_page("mon_departement", render_mon_departement)
