"""Ma région (préfecture de région) : un tableau par département, détail d'un département."""

from q2030.ui import page_footer, page_setup
from q2030.ui.coverage import render_ma_region

actor = page_setup("ma_region")
if actor is not None:
    render_ma_region(actor)
page_footer()
