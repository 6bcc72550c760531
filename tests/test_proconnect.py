"""ProConnect's userinfo read by the app: signature, issuer, audience and subject checked.

A small provider on loopback (http.server) serves discovery, keys and userinfo; the tokens are
signed with Authlib, as a provider would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from q2030 import proconnect

CLIENT_ID = "quartiers-2030"
KEY = RSAKey.generate_key(2048)
OTHER_KEY = RSAKey.generate_key(2048)
CLAIMS = {"sub": "abc", "email": "agent@interieur.gouv.fr", "given_name": "Camille", "usual_name": "Martin",
          "uid": "42", "siret": "11000201100044"}  # fmt: skip


class _Provider:
    def __init__(self) -> None:
        self.userinfo: tuple[str, bytes] = ("application/json", b"{}")
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"http://{self.headers['Host']}"
                if self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": base, "jwks_uri": f"{base}/jwks", "userinfo_endpoint": f"{base}/me"})
                    self._send("application/json", body.encode())
                elif self.path == "/jwks":
                    self._send("application/json", json.dumps({"keys": [KEY.as_dict(private=False)]}).encode())
                elif self.path == "/me" and self.headers.get("Authorization") == "Bearer jeton":
                    self._send(*provider.userinfo)
                else:
                    self.send_response(401)
                    self.end_headers()

            def _send(self, content_type: str, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def signed(self, claims: dict[str, str], key: RSAKey = KEY, **extra: str) -> None:
        payload = {"iss": self.base, "aud": CLIENT_ID, **claims, **extra}
        self.userinfo = ("application/jwt", jwt.encode({"alg": "RS256"}, payload, key).encode())


@pytest.fixture
def provider() -> Iterator[_Provider]:
    p = _Provider()
    # serve_forever checks for shutdown every poll_interval (0.5 s by default): 20 ms.
    thread = threading.Thread(target=p.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield p
    p.server.shutdown()


def _read(p: _Provider, sub: str = "abc", token: str = "jeton") -> proconnect.Identite:
    return proconnect.identite(
        server_metadata_url=f"{p.base}/.well-known/openid-configuration",
        client_id=CLIENT_ID,
        access_token=token,
        sub=sub,
    )


def test_signed_userinfo_gives_the_proconnect_claims(provider: _Provider) -> None:
    provider.signed(CLAIMS)
    identite = _read(provider)
    assert identite.email == "agent@interieur.gouv.fr"
    assert identite.nom_complet == "Camille Martin"
    assert (identite.uid, identite.siret) == ("42", "11000201100044")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("other key", "n'a pas pu être vérifiée"),
        ("other audience", "n'a pas pu être vérifiée"),
        ("other subject", "ne correspond pas"),
        ("bad token", "ne répond pas"),
    ],
)
def test_untrusted_userinfo_is_refused_in_french(provider: _Provider, case: str, message: str) -> None:
    if case == "other key":
        provider.signed(CLAIMS, key=OTHER_KEY)
    elif case == "other audience":
        provider.signed(CLAIMS, aud="une-autre-application")
    else:
        provider.signed(CLAIMS)
    with pytest.raises(proconnect.IdentiteIndisponible, match=message):
        _read(provider, sub="quelqu-un-d-autre" if case == "other subject" else "abc",
              token="faux" if case == "bad token" else "jeton")  # fmt: skip


def test_unreachable_provider_is_a_french_message() -> None:
    with pytest.raises(proconnect.IdentiteIndisponible, match="ne répond pas"):
        proconnect.identite(
            server_metadata_url="http://127.0.0.1:9/.well-known/openid-configuration",
            client_id=CLIENT_ID,
            access_token="jeton",
            sub="abc",
        )
