"""Absolute addresses of the app's pages, from the public address (`settings.base_url()`,
`Q2030_BASE_URL`): the links of the relance e-mails and the public page printed in the
letters to participants."""

from __future__ import annotations

from urllib.parse import urlencode

from q2030.settings import base_url

PAGE_PUBLIQUE = "Restitution"  # pages/10_Restitution.py: the page residents open without an account


def adresse(page: str, **query: str) -> str:
    """The absolute address of a page (its Streamlit URL path), with what it opens on."""
    address = f"{base_url()}/{page}"
    return f"{address}?{urlencode(query)}" if query else address


def page_publique(departement_code: str) -> str:
    """The public restitution page of a département (« …/Restitution?dep=93 »)."""
    return adresse(PAGE_PUBLIQUE, dep=departement_code)
