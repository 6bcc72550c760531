"""The State's look within Streamlit (DSFR): the header with the République française block and
the service name, the footer with its three mandatory links, the status badges.

Colours and fonts are Streamlit theme options (`.streamlit/config.toml`: bleu France, greys,
Marianne served from static/). CSS is used only where no option exists: the header and
footer blocks, the badges, and the public tables that stack into cards on a phone.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import streamlit as st

SERVICE = "Quartiers 2030"
SERVICE_TAGLINE = "Suivi de la concertation des habitants des quartiers prioritaires"

# DSFR header (fr-header): the « bloc-marque » (République française, the motto) and the
# service title. Text in the DOM is in normal case; DSFR writes the block in capitals by CSS.
HEADER_HTML = f"""<div class="q2030-entete">
<div class="q2030-marque"><p class="q2030-rf">République<br>française</p>
<p class="q2030-devise">Liberté<br>Égalité<br>Fraternité</p></div>
<div class="q2030-service"><p class="q2030-service-nom">{SERVICE}</p>
<p class="q2030-service-desc">{SERVICE_TAGLINE}</p></div>
</div>"""

ETAT_CSS = """<style>
.q2030-entete{display:flex;align-items:center;gap:1.5rem;padding:.75rem 0 1rem;margin-bottom:.5rem;
  border-bottom:1px solid #ddd;box-shadow:0 8px 8px -8px rgba(0,0,18,.16)}
.q2030-marque{display:flex;flex-direction:column;gap:.4rem}
.q2030-marque p{margin:0}
.q2030-rf{font-weight:700;text-transform:uppercase;font-size:1.05rem;line-height:1.05;letter-spacing:-.01em;
  color:#161616;padding-top:.9rem;position:relative}
.q2030-rf::before{content:"";position:absolute;top:0;left:0;width:2.5rem;height:.7rem;
  background:linear-gradient(90deg,#000091 0 33.3%,#fff 33.3% 66.6%,#e1000f 66.6%)}
.q2030-devise{font-size:.7rem;line-height:1.1;font-style:italic;color:#3a3a3a}
.q2030-service-nom{margin:0;font-weight:700;font-size:1.25rem;color:#161616}
.q2030-service-desc{margin:0;font-size:.875rem;color:#3a3a3a}
.st-key-q2030_pied{border-top:2px solid #000091;margin-top:3rem;padding-top:1rem}
.st-key-q2030_pied a p{color:#3a3a3a;font-size:.8rem;text-decoration:underline}
.q2030-pied-texte{font-size:.8rem;color:#3a3a3a;margin:.25rem 0 0}
.q2030-badge{display:inline-block;border-radius:.25rem;padding:0 .5rem;font-size:.8rem;font-weight:700;
  line-height:1.5rem;text-transform:uppercase}
.q2030-badge-success{background:#b8fec9;color:#18753c}
.q2030-badge-warning{background:#ffe9e6;color:#b34000}
.q2030-badge-info{background:#e8edff;color:#0063cb}
.q2030-badge-error{background:#ffe9e9;color:#ce0500}
.q2030-badge-new{background:#eeeeee;color:#3a3a3a}
@media (max-width:600px){.q2030-entete{gap:1rem}.q2030-service-desc{display:none}}
</style>"""


@dataclass(frozen=True)
class FooterLink:
    path: str
    label: str


# The three links every State website carries in its footer (DSFR fr-footer__bottom).
FOOTER_LINKS = (
    FooterLink("pages/13_Accessibilite.py", "Accessibilité"),
    FooterLink("pages/14_Mentions_legales.py", "Mentions légales"),
    FooterLink("pages/15_Donnees_personnelles.py", "Données personnelles"),
)
FOOTER_HTML = (
    '<p class="q2030-pied-texte"><strong>République française</strong> · '
    f"{SERVICE} : {SERVICE_TAGLINE.lower()}. Service de l'Agence nationale de la cohésion des "
    "territoires (ANCT) et des préfectures.</p>"
)


def header() -> None:
    st.html(ETAT_CSS + HEADER_HTML)


def footer() -> None:
    """The footer: call it last on every page (pages/*.py), whatever the page showed."""
    with st.container(key="q2030_pied"):
        st.html(FOOTER_HTML)
        for column, link in zip(st.columns(len(FOOTER_LINKS)), FOOTER_LINKS, strict=True):
            with column:
                st.page_link(link.path, label=link.label)


BADGE_LEVELS = {
    "couvert_delais": "success",
    "couvert_retard": "warning",
    "prevu": "info",
    "non_couvert": "error",
}


def badge_html(text: str, level: str) -> str:
    """A DSFR-style badge (fr-badge): success, warning, info, error or new."""
    return f'<span class="q2030-badge q2030-badge-{level}">{html.escape(text)}</span>'
