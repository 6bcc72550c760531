"""The signed-in person's identity, as ProConnect gives it to a service provider.

ProConnect's ID token names nobody (sub, acr, amr, nonce): the identity comes from the userinfo
endpoint, called with the access token and answered as a JWT signed by the provider. Streamlit's
`st.login` keeps only the ID token's claims in `st.user`, so the app asks for the access token
(`expose_tokens = ["access"]` in `[auth]`) and reads userinfo itself, checking the signature
against the provider's published keys, the issuer, the audience and that `sub` is the one of the
ID token. A provider that answers userinfo in plain JSON is read too (same `sub` check).

Claims used: `email` (the account is found by it), `given_name`, `usual_name` (shown as the
person's name), `uid` and `siret` (kept for the audit of an organiser's organisation).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import cast

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jwt import JWTClaimsRegistry

from q2030.errors import Q2030Error
from q2030.frontieres import JsonValeur

CLAIMS = ("email", "given_name", "usual_name", "uid", "siret")
TIMEOUT_SECONDS = 10
SIGNING_ALGORITHMS = ["RS256", "ES256", "PS256"]


class IdentiteIndisponible(Q2030Error):
    """The provider's userinfo could not be read or trusted (French message)."""


@dataclass(frozen=True)
class Identite:
    sub: str
    email: str | None
    given_name: str = ""
    usual_name: str = ""
    uid: str = ""
    siret: str = ""

    @property
    def nom_complet(self) -> str:
        return " ".join(part for part in (self.given_name, self.usual_name) if part)


def _fetch(url: str, *, headers: dict[str, str] | None = None) -> tuple[str, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.headers.get_content_type(), response.read()
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise IdentiteIndisponible(
            "Le fournisseur d'identité ne répond pas : reconnectez-vous dans quelques instants."
        ) from error


def _json(url: str) -> dict[str, JsonValeur]:
    _content_type, body = _fetch(url)
    try:
        value = json.loads(body)
    except ValueError as error:
        raise IdentiteIndisponible("Réponse illisible du fournisseur d'identité.") from error
    if not isinstance(value, dict):
        raise IdentiteIndisponible("Réponse illisible du fournisseur d'identité.")
    return value


def _signed_claims(token: bytes, metadata: dict[str, JsonValeur], client_id: str) -> dict[str, JsonValeur]:
    jwks_uri = metadata.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise IdentiteIndisponible("Le fournisseur d'identité ne publie pas ses clés de signature.")
    registry = JWTClaimsRegistry(
        iss={"essential": True, "value": str(metadata.get("issuer", ""))},
        aud={"essential": True, "value": client_id},
    )
    try:
        # The provider's JWKS document (JSON from the network), as joserfc reads it.
        keys = KeySet.import_key_set(cast(KeySetSerialization, _json(jwks_uri)))
        token_ = jwt.decode(token, keys, algorithms=SIGNING_ALGORITHMS)
        registry.validate(token_.claims)
    except (JoseError, ValueError) as error:
        raise IdentiteIndisponible("L'identité renvoyée par le fournisseur n'a pas pu être vérifiée.") from error
    claims = token_.claims
    return dict(claims)


def identite(*, server_metadata_url: str, client_id: str, access_token: str, sub: str) -> Identite:
    """Read and check the userinfo of the signed-in person; IdentiteIndisponible otherwise."""
    metadata = _json(server_metadata_url)
    endpoint = metadata.get("userinfo_endpoint")
    if not isinstance(endpoint, str):
        raise IdentiteIndisponible("Le fournisseur d'identité ne publie pas d'adresse userinfo.")
    content_type, body = _fetch(endpoint, headers={"Authorization": f"Bearer {access_token}"})
    if content_type == "application/jwt":
        claims = _signed_claims(body.strip(), metadata, client_id)
    else:
        try:
            claims = json.loads(body)
        except ValueError as error:
            raise IdentiteIndisponible("Réponse illisible du fournisseur d'identité.") from error
    if not isinstance(claims, dict) or claims.get("sub") != sub:
        raise IdentiteIndisponible("L'identité renvoyée ne correspond pas à la personne connectée.")
    email = claims.get("email")
    text = {name: str(claims.get(name) or "") for name in CLAIMS if name != "email"}
    return Identite(sub=sub, email=email if isinstance(email, str) and email else None, **text)
