"""Sign-in: mode, OIDC configuration check, email look-up, and the pages in OIDC mode."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from q2030 import auth
from q2030.access import SYSTEM
from q2030.db import session_scope
from q2030.models import stored_id
from q2030.ui.etat import FOOTER_LINKS
from q2030.users import add_user, set_user_active
from tests.helpers import APP, elements

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = {
    "redirect_uri": "https://q2030.example.gouv.fr/oauth2callback",
    "cookie_secret": "k" * 48,
    "client_id": "client-q2030",
    "client_secret": "secret-q2030",
    "server_metadata_url": "https://auth.agentconnect.gouv.fr/api/v2/.well-known/openid-configuration",
    "expose_tokens": ["access"],
}


# --- Mode and configuration ------------------------------------------------------------


def test_mode_defaults_to_demo_and_refuses_unknown_values() -> None:
    assert auth.auth_mode({}) == "demo"
    assert auth.auth_mode({"Q2030_AUTH": " OIDC "}) == "oidc"
    with pytest.raises(auth.ConfigurationError, match="Q2030_AUTH doit valoir"):
        auth.auth_mode({"Q2030_AUTH": "ldap"})


def test_complete_config_passes() -> None:
    assert auth.oidc_config_problems(COMPLETE) == []
    auth.check_oidc_config(COMPLETE)


@pytest.mark.parametrize("key", list(auth.REQUIRED_KEYS))
def test_each_missing_key_is_named_in_french(key: str) -> None:
    config = {k: v for k, v in COMPLETE.items() if k != key}
    with pytest.raises(auth.ConfigurationError) as refused:
        auth.check_oidc_config(config)
    assert f"`{key}` manquant" in str(refused.value)
    assert "l'application ne démarre pas" in str(refused.value)
    with pytest.raises(auth.ConfigurationError):
        auth.check_oidc_config({**COMPLETE, key: "  "})


def test_example_file_is_not_a_configuration() -> None:
    """Copying secrets.toml.example as is must not start the app."""
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    assert set(auth.REQUIRED_KEYS) <= set(example["auth"])
    problems = " ".join(auth.oidc_config_problems(example["auth"]))
    for key in ("redirect_uri", "cookie_secret", "client_id", "client_secret"):
        assert f"`{key}` manquant" in problems


def test_bad_urls_short_secret_and_missing_authlib_are_refused() -> None:
    problems = auth.oidc_config_problems(
        {**COMPLETE, "redirect_uri": "https://q2030.example.gouv.fr/", "cookie_secret": "court"}
    )
    assert any("/oauth2callback" in p for p in problems)
    assert any("32 caractères" in p for p in problems)
    assert auth.oidc_config_problems({**COMPLETE, "server_metadata_url": "auth.example/.well-known"})
    with pytest.raises(auth.ConfigurationError, match="Authlib"):
        auth.check_oidc_config(COMPLETE, authlib_installed=False)


def test_no_secret_file_in_repository() -> None:
    assert not (ROOT / ".streamlit" / "secrets.toml").exists()
    ignored = (ROOT / ".gitignore").read_text()
    assert ".streamlit/secrets.toml" in ignored
    assert "data/*.db" in ignored
    assert "data/uploads/" in ignored


# --- Email look-up ------------------------------------------------------------------------


def test_email_lookup_is_case_insensitive_and_gives_the_region(session: Session) -> None:
    add_user(
        session, actor=SYSTEM, email="Referente.93@seine-saint-denis.gouv.fr", role="referent", departement_code="93"
    )
    add_user(session, actor=SYSTEM, email="sgar@paca.gouv.fr", role="prefet_region", region_code="93")
    actor = auth.actor_for_email(session, "REFERENTE.93@Seine-Saint-Denis.gouv.fr")
    assert actor is not None
    assert (actor.role, actor.departement_code, actor.region_code) == ("referent", "93", "11")
    prefet = auth.actor_for_email(session, "sgar@paca.gouv.fr")
    assert prefet is not None
    assert (prefet.region_code, prefet.departement_code) == ("93", None)
    assert auth.actor_for_email(session, "inconnu@example.org") is None
    assert auth.actor_for_email(session, "") is None
    assert auth.actor_for_email(session, None) is None


def test_disabled_user_is_not_an_actor(session: Session) -> None:
    user = add_user(session, actor=SYSTEM, email="ancien@anct.gouv.fr", role="commission")
    set_user_active(session, actor=SYSTEM, user_id=stored_id(user), actif=False)
    assert auth.actor_for_email(session, "ancien@anct.gouv.fr") is None
    set_user_active(session, actor=SYSTEM, user_id=stored_id(user), actif=True)
    assert auth.actor_for_email(session, "ancien@anct.gouv.fr") is not None


# --- Pages in OIDC mode -----------------------------------------------------------------


@pytest.fixture
def oidc_env(app_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("Q2030_AUTH", "oidc")
    return app_env


PUBLIC_LINK = "Habitants : voir la restitution publique de la concertation (sans connexion)"


def _oidc_app(user: dict[str, Any], secrets: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets = {"auth": COMPLETE} if secrets is None else secrets
    at.user = user
    return at.run()


def _links(at: AppTest) -> list[str]:
    return [link.value for link in elements(at, "page_link")]


def _no_app_content(at: AppTest) -> None:
    # No navigation for someone not let in: at most the pages open without sign-in (the
    # residents' public page and the footer's legal pages).
    assert set(_links(at)) <= {PUBLIC_LINK} | {link.label for link in FOOTER_LINKS}, _links(at)
    assert not at.metric
    assert not at.tabs
    assert not at.dataframe
    assert not any("Mode démonstration" in w.value for w in at.warning), "demo never active in OIDC mode"
    assert not at.sidebar.selectbox, "no role picker in OIDC mode"


def test_incomplete_config_refuses_to_start(oidc_env: str) -> None:
    at = _oidc_app({"is_logged_in": True, "email": "admin@anct.gouv.fr"}, secrets={"auth": {"client_id": "x"}})
    assert not at.exception
    assert any("n'est pas configurée, l'application ne démarre pas" in e.value for e in at.error)
    assert any("`client_secret` manquant" in e.value for e in at.error)
    _no_app_content(at)


def test_unknown_mode_refuses_to_start(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q2030_AUTH", "ouvert")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("Mode d'authentification inconnu" in e.value for e in at.error)
    _no_app_content(at)


def test_signed_out_sees_only_the_proconnect_button(oidc_env: str) -> None:
    at = _oidc_app({"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Se connecter avec ProConnect"]
    _no_app_content(at)


@pytest.mark.parametrize("page", ["streamlit_app.py", "pages/8_Administration.py", "pages/1_Rencontres.py"])
def test_unknown_email_gets_only_the_refusal(oidc_env: str, page: str) -> None:
    at = _oidc_app({"is_logged_in": True, "email": "curieux@example.org"})
    if page != "streamlit_app.py":
        at.switch_page(page).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Accès non autorisé"]
    assert [b.label for b in at.button] == ["Se déconnecter"]
    _no_app_content(at)


def test_disabled_user_gets_the_refusal_and_active_user_gets_in(oidc_env: str, engine: Engine) -> None:
    with session_scope(engine) as session:
        gone = add_user(session, actor=SYSTEM, email="parti@interieur.gouv.fr", role="referent", departement_code="13")
        set_user_active(session, actor=SYSTEM, user_id=stored_id(gone), actif=False)
        add_user(
            session, actor=SYSTEM, email="referent.13@bouches-du-rhone.gouv.fr", role="referent", departement_code="13"
        )
    refused = _oidc_app({"is_logged_in": True, "email": "parti@interieur.gouv.fr"})
    assert [t.value for t in refused.title] == ["Accès non autorisé"]
    _no_app_content(refused)

    at = _oidc_app({"is_logged_in": True, "email": "Referent.13@Bouches-du-Rhone.gouv.fr"})
    assert not at.exception
    assert "Mon département" in _links(at)
    assert "Administration" not in _links(at)
    assert "Se déconnecter" in [b.label for b in at.sidebar.button]
    at.switch_page("pages/8_Administration.py").run()
    assert any("pas accessible avec votre rôle" in e.value for e in at.error)
    assert not at.tabs
