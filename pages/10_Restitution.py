"""Restitution publique : ce que les habitants ont dit et ce qu'il en est advenu (sans connexion)."""

from q2030.ui.public import render
from q2030.ui.shell import page_footer, public_page_setup

public_page_setup()
render()
page_footer()
