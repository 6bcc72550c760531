"""Priorités des habitants : classement des thèmes, carte de chaleur, régions, comparaison, recherche, exports."""

from q2030.ui import run_page
from q2030.ui.priorities import render

run_page("priorites", render)
