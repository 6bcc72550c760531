"""Mon département (référent) : quartiers non couverts, échéances, synthèses en retard."""

from q2030.ui import page_footer, page_setup
from q2030.ui.coverage import render_mon_departement

actor = page_setup("mon_departement")
if actor is not None:
    render_mon_departement(actor)
page_footer()
