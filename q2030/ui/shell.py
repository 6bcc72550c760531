"""Page shell: engine, sign-in (demo or OIDC), role-filtered navigation, shared state."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.auth_util import is_authlib_installed

from q2030 import apres_ecriture, auth, feeds, proconnect
from q2030.access import Action, Actor, EcranCible, allowed
from q2030.bootstrap import prepare_database
from q2030.db import database_url, make_engine, session_scope
from q2030.errors import Q2030Error, ValidationError
from q2030.frontieres import JsonValeur
from q2030.nomenclature import ROLES, Role
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.ui import etat, french, incidents

BLEU_FRANCE = "#000091"


@dataclass(frozen=True)
class Page:
    path: str
    label: str


# Who opens which screen is the access rule's (access.ECRANS, Action.OUVRIR_ECRAN).
PAGES: dict[str, Page] = {
    "accueil": Page("streamlit_app.py", "Accueil"),
    "rencontres": Page("pages/1_Rencontres.py", "Rencontres"),
    "agenda": Page("pages/2_Agenda.py", "Agenda des rencontres"),
    "mon_departement": Page("pages/3_Mon_departement.py", "Mon département"),
    "ma_region": Page("pages/4_Ma_region.py", "Ma région"),
    "national": Page("pages/5_National.py", "Vue nationale"),
    "priorites": Page("pages/6_Priorites.py", "Priorités des habitants"),
    "excel": Page("pages/7_Excel.py", "Échanges Excel"),
    "administration": Page("pages/8_Administration.py", "Administration"),
    "syntheses": Page("pages/9_Syntheses.py", "Synthèses départementales"),
    "questionnaire": Page("pages/11_Questionnaire.py", "Questionnaire en ligne"),
    "codage": Page("pages/12_Codage.py", "Codage des textes libres"),
    # The residents' page: no sign-in (public_page_setup), also linked for every agent.
    "restitution": Page("pages/10_Restitution.py", "Restitution publique"),
}


def opens(actor: Actor, page_key: str) -> bool:
    return allowed(actor, Action.OUVRIR_ECRAN, EcranCible(page_key))


DEMO_ORGANISATION = "Centre social Les Tilleuls"  # the demo sign-in's organisation
PUBLIC_PAGE = "restitution"  # the only page an anonymous visitor may open


def auth_mode() -> str:
    return os.environ.get("Q2030_AUTH", "demo").strip().lower()


@st.cache_resource(show_spinner="Préparation de la base de données…")
def _engine(url: str) -> Engine:
    engine = make_engine(url)
    prepare_database(engine)
    # Public agenda feeds (static/agenda/<dép>.ics): written now, rewritten after each write.
    feeds.install(engine)
    return engine


def engine() -> Engine:
    return _engine(database_url())


def data_version() -> int:
    """Bumped by every audited write: pass it to cached loaders as a key."""
    with session_scope(engine()) as session:
        return apres_ecriture.data_version(session)


def page_setup(page_key: str, *, wide: bool = True) -> Actor | None:
    """Set the page up; return the acting user, or None when the page must show nothing."""
    page = PAGES[page_key]
    st.set_page_config(
        page_title=f"{page.label} · Quartiers 2030",
        layout="wide" if wide else "centered",
        initial_sidebar_state="auto",  # open on a laptop, folded on a phone (it would cover the page)
    )
    french.apply()
    etat.header()
    actor = current_actor()
    if actor is None:
        return None
    _navigation(actor)
    if not opens(actor, page_key):
        st.title(page.label)
        st.error("Cette page n'est pas accessible avec votre rôle.")
        return None
    return actor


def run_page(page_key: str, render: Callable[[Actor], None]) -> None:
    """A signed-in page: set up, then draw it for the actor, inside the page boundary
    (q2030.ui.incidents: an unexpected error is a French message and an incident reference)."""
    with incidents.page_boundary(page_key):
        actor = page_setup(page_key)
        if actor is not None:
            render(actor)
    page_footer()


def run_public_page(render: Callable[[], None]) -> None:
    """The residents' page, inside the same page boundary."""
    with incidents.page_boundary(PUBLIC_PAGE):
        public_page_setup()
        render()
    page_footer()


def public_page_setup() -> None:
    """The residents' page: no sign-in in any mode, no role picker, no agent data.

    Nothing here reads the signed-in user: the page shows the same public content to an
    agent and to an anonymous visitor (q2030.public queries only).
    """
    page = PAGES[PUBLIC_PAGE]
    st.set_page_config(page_title=f"{page.label} · Quartiers 2030", layout="wide", initial_sidebar_state="auto")
    french.apply()
    etat.header()
    if auth_mode() == "demo":  # residents must know these are not real meetings
        st.info("**Données de démonstration** — les rencontres et les chiffres affichés sont fictifs.")
    with st.sidebar:
        st.page_link(page.path, label=page.label)
        st.page_link(PAGES["accueil"].path, label="Espace agents (connexion)")


def info_page_setup(title: str) -> None:
    """Accessibilité, Mentions légales, Données personnelles: open to everyone, no sign-in."""
    st.set_page_config(page_title=f"{title} · Quartiers 2030", layout="centered", initial_sidebar_state="auto")
    french.apply()
    etat.header()
    with st.sidebar:
        st.page_link(PAGES[PUBLIC_PAGE].path, label=PAGES[PUBLIC_PAGE].label)
        st.page_link(PAGES["accueil"].path, label="Espace agents (connexion)")


def page_footer() -> None:
    etat.footer()


def current_actor() -> Actor | None:
    """The signed-in (or, in demo mode, chosen) user; None after drawing why there is none."""
    try:
        mode = auth.auth_mode()
    except auth.ConfigurationError as error:
        st.error(str(error))
        return None
    if mode == "demo":
        st.sidebar.warning("**Mode démonstration** : aucun mot de passe, rôle choisi ci-dessous.")
        st.warning(
            "**Mode démonstration** — aucune connexion : le rôle et le périmètre se choisissent dans la barre "
            "latérale. N'y saisissez pas de données réelles.",
        )
        return _demo_actor()
    return _oidc_actor()


def _auth_section() -> dict[str, JsonValeur]:
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets.toml at all
        return {}
    return dict(section) if section else {}


def _oidc_actor() -> Actor | None:
    """ProConnect (OpenID Connect) through st.login; only known, active users get in."""
    try:
        auth.check_oidc_config(_auth_section(), authlib_installed=is_authlib_installed())
    except auth.ConfigurationError as error:
        st.title("Quartiers 2030 — configuration incomplète")
        st.error(str(error))
        return None
    if not st.user.is_logged_in:
        st.title("Quartiers 2030 — suivi des concertations")
        st.write(
            "Application réservée aux agents de l'État et de l'ANCT chargés du suivi de la concertation. "
            "Connectez-vous avec votre compte ProConnect."
        )
        st.button("Se connecter avec ProConnect", on_click=st.login, type="primary", key="auth_login")
        st.page_link(
            PAGES[PUBLIC_PAGE].path,
            label="Habitants : voir la restitution publique de la concertation (sans connexion)",
        )
        return None
    email = _signed_in_email()
    if email is None and "proconnect_erreur" in st.session_state:
        st.title("Connexion impossible")
        st.error(st.session_state["proconnect_erreur"])
        st.button("Se déconnecter", on_click=st.logout, key="auth_logout_failed")
        return None
    with session_scope(engine()) as session:
        actor = auth.actor_for_email(session, email if isinstance(email, str) else None)
    if actor is None:
        st.title("Accès non autorisé")
        st.error(
            "Votre compte n'est pas autorisé à utiliser cette application, ou il a été désactivé. "
            "Demandez l'accès à l'administrateur national de Quartiers 2030."
        )
        if isinstance(email, str):
            st.text(f"Compte utilisé : {email}")
        st.button("Se déconnecter", on_click=st.logout, key="auth_logout_refused")
        return None
    identite = st.session_state.get("proconnect_identite")
    if not actor.nom and isinstance(identite, proconnect.Identite) and identite.nom_complet:
        actor = dataclasses.replace(actor, nom=identite.nom_complet)  # the name ProConnect gives
    return actor


def _signed_in_email() -> str | None:
    """The e-mail of the signed-in person: from the ID token when the provider puts it there,
    else from ProConnect's userinfo (read once per session, signature checked)."""
    email = st.user.get("email")
    if isinstance(email, str) and email:
        return email
    sub = str(st.user.get("sub") or "")
    cached = st.session_state.get("proconnect_identite")
    if isinstance(cached, proconnect.Identite) and cached.sub == sub:
        return cached.email
    st.session_state.pop("proconnect_erreur", None)
    section = _auth_section()
    try:
        identite = proconnect.identite(
            server_metadata_url=str(section.get("server_metadata_url", "")),
            client_id=str(section.get("client_id", "")),
            access_token=str(st.user.tokens.get("access") or ""),
            sub=sub,
        )
    except proconnect.IdentiteIndisponible as error:
        st.session_state["proconnect_erreur"] = str(error)
        return None
    st.session_state["proconnect_identite"] = identite
    return identite.email


def _persisted(key: str, default: str) -> str:
    """Shared sidebar state survives page changes: copy it into the widget key first."""
    store = f"shared_{key}"
    st.session_state.setdefault(store, default)
    st.session_state[f"widget_{key}"] = st.session_state[store]
    return f"widget_{key}"


def _save(key: str) -> None:
    st.session_state[f"shared_{key}"] = st.session_state[f"widget_{key}"]


def _demo_actor() -> Actor:
    sidebar = st.sidebar
    role = sidebar.selectbox(
        "Rôle",
        list(ROLES),
        format_func=ROLES.__getitem__,
        key=_persisted("role", Role.REFERENT),
        on_change=_save,
        args=("role",),
        placeholder="Choisir…",
    )
    if role in (Role.REFERENT, Role.ORGANISATEUR):
        dep = sidebar.selectbox(
            "Département",
            list(DEPARTEMENTS),
            format_func=lambda c: f"{c} – {DEPARTEMENTS[c][0]}",
            key=_persisted("departement", "93"),
            on_change=_save,
            args=("departement",),
            placeholder="Choisir…",
        )
        if role == Role.ORGANISATEUR:
            return Actor(
                email=f"organisateur.{dep.lower()}@demo.example.org",
                role=role,
                departement_code=dep,
                region_code=DEPARTEMENTS[dep][1],
                nom=f"Organisateur {DEPARTEMENTS[dep][0]} (démo)",
                organisation=DEMO_ORGANISATION,
            )
        return Actor(
            email=f"referent.{dep.lower()}@demo.gouv.fr",
            role=role,
            departement_code=dep,
            region_code=DEPARTEMENTS[dep][1],
            nom=f"Référent {DEPARTEMENTS[dep][0]} (démo)",
        )
    if role == Role.PREFET_REGION:
        reg = sidebar.selectbox(
            "Région",
            list(REGIONS),
            format_func=lambda c: REGIONS[c],
            key=_persisted("region", "11"),
            on_change=_save,
            args=("region",),
            placeholder="Choisir…",
        )
        return Actor(
            email=f"sgar.{reg}@demo.gouv.fr",
            role=role,
            region_code=reg,
            nom=f"SGAR {REGIONS[reg]} (démo)",
        )
    return Actor(email=f"{role}@demo.gouv.fr", role=role, nom=f"{ROLES[role]} (démo)")


def _navigation(actor: Actor) -> None:
    with st.sidebar:
        # The name is typed by an administrator: shown as text, never as Markdown.
        st.text(actor.nom or actor.email)
        st.caption(ROLES[actor.role])
        for key, page in PAGES.items():
            if opens(actor, key):
                st.page_link(page.path, label=page.label)
        if auth_mode() == "oidc":
            st.button("Se déconnecter", on_click=st.logout, key="auth_logout")


_MARKDOWN_SPECIALS = set("\\`*_[]<>$~|")  # enough to defuse links, images, HTML, LaTeX


def escape_markdown(text: str) -> str:
    """Text shown by st.error/st.success is Markdown: make it literal (no link, image, HTML)."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)


def show_error(error: Q2030Error) -> None:
    """A service error, in French, with one line per field when there are several.

    Messages may quote user input (a cell of an imported file, a typed value): escaped.
    """
    if isinstance(error, ValidationError) and len(error.errors) > 1:
        st.error("\n".join(f"- {escape_markdown(m)}" for messages in error.errors.values() for m in messages))
    else:
        st.error(escape_markdown(str(error)))
