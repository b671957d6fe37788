"""The AT Protocol OAuth client's own pieces: DPoP proofs and client assertions are ES256 JWTs
a server can verify, the client id and metadata follow the spec for each kind of client. (The
whole dance runs against the real PDS in envol/people/tests/test_signin_bluesky.py.)"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from envol.networks import atproto_oauth as oauth


def _part(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified(jwt: str, jwk: dict[str, str]) -> tuple[dict[str, object], dict[str, object]]:
    """Header and payload of `jwt` once its ES256 signature verifies with `jwk` (else raises)."""
    head, body, signature = jwt.split(".")
    raw = _part(signature)
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(_part(jwk["x"]), "big"),
        int.from_bytes(_part(jwk["y"]), "big"),
        ec.SECP256R1(),
    ).public_key()
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(_part(head)), json.loads(_part(body))


def test_dpop_proof() -> None:
    key = oauth.SigningKey.generate()
    proof = oauth.dpop_proof(
        key, "post", "https://pds.example/xrpc/x?y=1#z", nonce="n1", access_token="tok", now=1000
    )
    head, body = verified(proof, key.public_jwk())
    assert head["typ"] == "dpop+jwt" and head["alg"] == "ES256" and "d" not in head["jwk"]  # type: ignore[operator]
    assert body["htm"] == "POST" and body["htu"] == "https://pds.example/xrpc/x"
    assert body["nonce"] == "n1" and body["iat"] == 1000
    assert (
        body["ath"]
        == base64.urlsafe_b64encode(hashlib.sha256(b"tok").digest()).rstrip(b"=").decode()
    )
    with pytest.raises(Exception):  # noqa: B017 - any verification error
        verified(proof, oauth.SigningKey.generate().public_jwk())


def test_session_key_survives_storage() -> None:
    key = oauth.SigningKey.generate()
    again = oauth.SigningKey.from_private_jwk(key.private_jwk())
    assert verified(again.sign_jwt({}, {"a": 1}), key.public_jwk())[1] == {"a": 1}


def test_confidential_client() -> None:
    key = oauth.SigningKey.from_pem(oauth.SigningKey.generate().pem())
    client = oauth.ClientConfig.for_public_url(
        "https://partir.example.fr", "/signin/bluesky/callback/", "/oauth/client-metadata.json", key
    )
    assert client.confidential
    assert client.client_id == "https://partir.example.fr/oauth/client-metadata.json"
    meta = client.metadata()
    assert meta["client_id"] == client.client_id and meta["dpop_bound_access_tokens"] is True
    assert meta["redirect_uris"] == ["https://partir.example.fr/signin/bluesky/callback/"]
    assert meta["token_endpoint_auth_method"] == "private_key_jwt"
    assert meta["scope"].split() == ["atproto", "repo:app.bsky.graph.follow?action=create"]
    jwk = meta["jwks"]["keys"][0]
    assert "d" not in jwk and jwk["kid"] == key.kid
    params = client.authentication("https://bsky.social")
    assert params["client_assertion_type"].endswith("jwt-bearer")
    head, body = verified(params["client_assertion"], jwk)
    assert head["kid"] == key.kid
    assert body["iss"] == body["sub"] == client.client_id and body["aud"] == "https://bsky.social"


def test_loopback_client_in_development() -> None:
    client = oauth.ClientConfig.for_public_url(
        "http://localhost:8000", "/signin/bluesky/callback/", "/oauth/client-metadata.json", None
    )
    assert not client.confidential
    assert client.redirect_uri == "http://127.0.0.1:8000/signin/bluesky/callback/"
    assert client.client_id.startswith(
        "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8000"
    )
    assert client.authentication("http://x") == {"client_id": client.client_id}
    with pytest.raises(oauth.OAuthError):
        oauth.ClientConfig.for_public_url("http://envol.example", "/cb/", "/m.json", None)
