"""Agenda des rencontres prévues, avec export iCalendar (.ics)."""

from q2030.ui import page_footer, page_setup
from q2030.ui.agenda import render

actor = page_setup("agenda")
if actor is not None:
    render(actor)
page_footer()
