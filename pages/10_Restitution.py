"""Restitution publique : ce que les habitants ont dit et ce qu'il en est advenu (sans connexion)."""

from q2030.ui import run_public_page
from q2030.ui.public import render

run_public_page(render)
