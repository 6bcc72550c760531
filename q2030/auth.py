"""Sign-in rules, without Streamlit: which mode, is the OIDC set-up complete, who is this email.

`Q2030_AUTH=demo` (default) signs nobody in: a role is picked in the sidebar. With
`Q2030_AUTH=oidc` the app signs people in through ProConnect (OpenID Connect, `st.login`)
and refuses to start while the `[auth]` section of `.streamlit/secrets.toml` is
incomplete: demo mode is never a silent fallback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from sqlalchemy import func
from sqlmodel import Session, select

from q2030.access import Actor
from q2030.errors import Q2030Error
from q2030.frontieres import JsonValeur
from q2030.models import Departement, User

AUTH_MODES = ("demo", "oidc")
# Keys st.login needs in [auth] for the default (unnamed) provider (Streamlit 1.67 docs).
REQUIRED_KEYS: dict[str, str] = {
    "redirect_uri": "adresse de retour de l'application, terminée par /oauth2callback",
    "cookie_secret": "secret aléatoire signant le cookie de session",
    "client_id": "identifiant du client ProConnect",
    "client_secret": "secret du client ProConnect",
    "server_metadata_url": "adresse de découverte OpenID Connect du fournisseur",
}
URL_KEYS = ("redirect_uri", "server_metadata_url")
# Values of .streamlit/secrets.toml.example: copying the example as is is not a set-up.
PLACEHOLDER = "A_REMPLACER"


class ConfigurationError(Q2030Error):
    """The application is not configured to start (French message for the operator)."""


def auth_mode(environ: Mapping[str, str] | None = None) -> str:
    """`demo` or `oidc`; any other value is refused rather than guessed."""
    value = (environ if environ is not None else os.environ).get("Q2030_AUTH", "demo").strip().lower()
    if value not in AUTH_MODES:
        raise ConfigurationError(
            f"Mode d'authentification inconnu « {value} » : Q2030_AUTH doit valoir « demo » ou « oidc »."
        )
    return value


def oidc_config_problems(section: Mapping[str, JsonValeur] | None) -> list[str]:
    """French list of what is missing or wrong in the `[auth]` section (empty: complete)."""
    section = section or {}
    problems: list[str] = []
    for key, meaning in REQUIRED_KEYS.items():
        value = section.get(key)
        if not isinstance(value, str) or not value.strip() or PLACEHOLDER in value:
            problems.append(f"`{key}` manquant ({meaning})")
    for key in URL_KEYS:
        value = section.get(key)
        if isinstance(value, str) and value.strip() and PLACEHOLDER not in value:
            parsed = urlparse(value.strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                problems.append(f"`{key}` doit être une adresse absolue (https://…)")
    redirect = section.get("redirect_uri")
    if isinstance(redirect, str) and redirect.strip() and not redirect.strip().endswith("/oauth2callback"):
        problems.append("`redirect_uri` doit se terminer par /oauth2callback")
    exposed = section.get("expose_tokens")
    exposed_list = [exposed] if isinstance(exposed, str) else list(exposed or [])
    if "access" not in exposed_list:
        problems.append(
            '`expose_tokens` doit contenir "access" (ProConnect rend l\'identité par son adresse userinfo, '
            "lue avec le jeton d'accès)"
        )
    secret = section.get("cookie_secret")
    if isinstance(secret, str) and secret.strip() and PLACEHOLDER not in secret and len(secret.strip()) < 32:
        problems.append("`cookie_secret` doit compter au moins 32 caractères")
    return problems


def check_oidc_config(section: Mapping[str, JsonValeur] | None, *, authlib_installed: bool = True) -> None:
    """Raise ConfigurationError with a French message unless OIDC sign-in can work."""
    problems = oidc_config_problems(section)
    if not authlib_installed:
        problems.append("le paquet Authlib est absent (pip install 'streamlit[auth]')")
    if problems:
        raise ConfigurationError(
            "Q2030_AUTH=oidc : la connexion ProConnect n'est pas configurée, l'application ne démarre pas. "
            "Complétez la section [auth] de .streamlit/secrets.toml (modèle : .streamlit/secrets.toml.example) : "
            + " ; ".join(problems)
            + "."
        )


def find_user(session: Session, email: str) -> User | None:
    """The user with this email, compared case-insensitively (providers vary the case)."""
    wanted = email.strip().lower()
    if not wanted:
        return None
    return session.exec(select(User).where(func.lower(User.email) == wanted)).first()


def actor_for_email(session: Session, email: str | None) -> Actor | None:
    """The acting user for a signed-in email; None when unknown or disabled."""
    if not email:
        return None
    user = find_user(session, email)
    if user is None or not user.actif:
        return None
    region = None
    if user.departement_code:
        departement = session.get(Departement, user.departement_code)
        region = departement.region_code if departement else None
    return Actor.from_user(user, region_code=region)
