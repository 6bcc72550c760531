"""Sign-in for real: the app in OpenID Connect mode against a real provider on loopback.

The provider is the certified `oidc-provider` package from the npm registry (`.ci/run` installs
it in /tmp/q2030-oidc), configured as ProConnect behaves (tests/oidc_provider.mjs): the ID token
names nobody, the identity comes from userinfo as a signed JWT. A person signs in through the
provider's own login page in Chromium; the app finds them by e-mail among active users.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from q2030.access import SYSTEM
from q2030.bootstrap import prepare_database
from q2030.db import make_engine, session_scope
from q2030.users import add_user, set_user_active
from tests.browser_support import ROOT, WAIT_MS, AppServer, free_port, get, start_app, temporary_pg_database
from tests.conftest import PG_URL

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PROVIDER_JS = Path(os.environ.get("Q2030_OIDC_PROVIDER_JS", "/tmp/q2030-oidc/node_modules/oidc-provider/lib/index.js"))
CLIENT_ID, CLIENT_SECRET = "quartiers-2030", "secret-de-test-du-fournisseur-local"
AGENT = {
    "email": "Referente.93@Seine-Saint-Denis.gouv.fr",  # case differs from the account: still found
    "given_name": "Camille",
    "usual_name": "Martin",
    "uid": "agent-93",
    "siret": "17930001700012",
}
REFUSED = {"email": "ancien.agent@interieur.gouv.fr", "given_name": "Paul", "usual_name": "Durand", "uid": "x"}
UNKNOWN = {"email": "curieux@example.org", "given_name": "Alex", "usual_name": "Petit", "uid": "y"}
ORGANISATEUR = {  # a professional of an association, as ProConnect describes one
    "email": "accueil@tilleuls.example.org",
    "given_name": "Nadia",
    "usual_name": "Benali",
    "uid": "organisateur-93",
    "siret": "44306184100047",
}
ACCOUNTS = {"agent": AGENT, "desactive": REFUSED, "inconnu": UNKNOWN, "organisateur": ORGANISATEUR}


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    if not PROVIDER_JS.exists():
        pytest.skip(f"oidc-provider absent ({PROVIDER_JS}) : .ci/run l'installe depuis le registre npm")
    workdir = tmp_path_factory.mktemp("oidc")
    provider_port, app_port = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    provider_log = (workdir / "provider.log").open("wb")
    provider = subprocess.Popen(
        [
            "node",
            str(ROOT / "tests" / "oidc_provider.mjs"),
            str(provider_port),
            CLIENT_ID,
            CLIENT_SECRET,
            f"{app_url}/oauth2callback",
            f"{app_url}/oauth2callback",  # Streamlit sends its redirect_uri as post_logout_redirect_uri
            json.dumps(ACCOUNTS),
        ],
        env={**os.environ, "Q2030_OIDC_PROVIDER_JS": str(PROVIDER_JS)},
        stdout=provider_log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{provider_port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(f"{issuer}/.well-known/openid-configuration")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    secrets = workdir / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{"c" * 48}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        'expose_tokens = ["access"]\n'
        'client_kwargs = { scope = "openid email given_name usual_name uid siret", prompt = "login", '
        'token_endpoint_auth_method = "client_secret_post" }\n',
        encoding="utf-8",
    )
    with temporary_pg_database(PG_URL, "q2030_oidc") if PG_URL else _sqlite(workdir) as url:
        engine = make_engine(url)
        prepare_database(engine)
        with session_scope(engine) as session:
            add_user(
                session,
                actor=SYSTEM,
                email="referente.93@seine-saint-denis.gouv.fr",
                role="referent",
                departement_code="93",
            )  # no name typed: the sidebar shows the one ProConnect's userinfo gives
            add_user(
                session,
                actor=SYSTEM,
                email=ORGANISATEUR["email"],
                role="organisateur",
                departement_code="93",
                organisation="Centre social Les Tilleuls",
            )
            gone = add_user(session, actor=SYSTEM, email=REFUSED["email"], role="commission")
            assert gone.id is not None
            set_user_active(session, actor=SYSTEM, user_id=gone.id, actif=False)
        engine.dispose()
        server = start_app(url, workdir, auth="oidc", port=app_port, extra_args=("--secrets.files", str(secrets)))
        try:
            yield server
        finally:
            server.stop()
            provider.terminate()
            provider.wait(timeout=15)
            provider_log.close()


class _sqlite:
    def __init__(self, workdir: Path) -> None:
        self.url = f"sqlite:///{workdir / 'q2030.db'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_: object) -> None:
        return None


def _sign_in(page: Page, app: AppServer, login: str) -> None:
    page.goto(app.url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Se connecter avec ProConnect").click(timeout=WAIT_MS)
    # The provider's own login page (development interactions of oidc-provider), then consent.
    page.locator("input[name=login]").fill(login, timeout=WAIT_MS)
    page.locator("input[name=password]").fill("mot-de-passe")
    page.locator("button[type=submit]").click()
    consent = page.locator("button[type=submit]")
    consent.wait_for(timeout=WAIT_MS)
    if "consent" in page.content().lower() or "authorize" in page.content().lower():
        consent.click()
    page.wait_for_url(f"{app.url}/**", timeout=WAIT_MS)


def test_agent_signs_in_with_proconnect_claims_and_logs_out(chromium: Browser, signed_in_app: AppServer) -> None:
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    try:
        _sign_in(page, signed_in_app, "agent")
        sidebar = page.locator("[data-testid=stSidebar]")
        expect(sidebar.get_by_text("Camille Martin")).to_be_visible(timeout=WAIT_MS)
        expect(sidebar.get_by_role("link", name="Mon département")).to_be_visible()
        expect(page.get_by_text("Accès non autorisé")).to_have_count(0)
        sidebar.get_by_role("button", name="Se déconnecter").click()
        # The provider asks to confirm the end of its own session, then sends the person back.
        page.locator("button[autofocus], button[type=submit]").first.click(timeout=WAIT_MS)
        expect(page.get_by_role("button", name="Se connecter avec ProConnect")).to_be_visible(timeout=WAIT_MS)
        page.goto(signed_in_app.url, wait_until="domcontentloaded")
        expect(page.get_by_role("button", name="Se connecter avec ProConnect")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_role("link", name="Mon département")).to_have_count(0)
    finally:
        context.close()


def test_organiser_signs_in_with_proconnect_claims_and_sees_the_organiser_pages(
    chromium: Browser, signed_in_app: AppServer
) -> None:
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    try:
        _sign_in(page, signed_in_app, "organisateur")
        sidebar = page.locator("[data-testid=stSidebar]")
        expect(sidebar.get_by_text("Nadia Benali")).to_be_visible(timeout=WAIT_MS)
        expect(sidebar.get_by_text("Organisateur local (commune, association…)")).to_be_visible()
        expect(sidebar.get_by_role("link", name="Échanges Excel")).to_be_visible()
        expect(sidebar.get_by_role("link", name="Rencontres", exact=True)).to_be_visible()
        expect(sidebar.get_by_role("link", name="Mon département")).to_have_count(0)
        expect(sidebar.get_by_role("link", name="Vue nationale")).to_have_count(0)
        expect(page.get_by_text("Accès non autorisé")).to_have_count(0)
        sidebar.get_by_role("button", name="Se déconnecter").click()
        page.locator("button[autofocus], button[type=submit]").first.click(timeout=WAIT_MS)
        expect(page.get_by_role("button", name="Se connecter avec ProConnect")).to_be_visible(timeout=WAIT_MS)
    finally:
        context.close()


@pytest.mark.parametrize("login", ["desactive", "inconnu"])
def test_unknown_or_deactivated_address_is_refused(chromium: Browser, signed_in_app: AppServer, login: str) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        _sign_in(page, signed_in_app, login)
        expect(page.get_by_role("heading", name="Accès non autorisé")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(f"Compte utilisé : {ACCOUNTS[login]['email']}")).to_be_visible()
        expect(page.get_by_role("link", name="Mon département")).to_have_count(0)
    finally:
        context.close()
