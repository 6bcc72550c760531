"""Ma région (préfecture de région) : un tableau par département, détail d'un département."""

from q2030.ui import run_page
from q2030.ui.coverage import render_ma_region

run_page("ma_region", render_ma_region)
