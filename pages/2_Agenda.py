"""Agenda des rencontres prévues, avec export iCalendar (.ics)."""

from q2030.ui import run_page
from q2030.ui.agenda import render

run_page("agenda", render)
