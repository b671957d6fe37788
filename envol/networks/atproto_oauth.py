"""Signing people in with their Bluesky (AT Protocol) account: OAuth as the protocol asks.

The flow (atproto.com/specs/oauth): resolve the account (handle → DID → DID document → PDS),
ask the PDS which authorisation server it trusts (`/.well-known/oauth-protected-resource`), read
that server's metadata (`/.well-known/oauth-authorization-server`, its `issuer` must be the
server's own address), push the authorisation request (PAR) with PKCE, send the person to the
authorisation page, exchange the code at the token endpoint, then check that the account the
tokens are for (`sub`) has its PDS served by that same authorisation server. Every request to the
authorisation server and every use of the access token carries a DPoP proof (RFC 9449): a JWT
signed by a key made for this one session, with the server's nonce.

Client kinds (atproto.com/specs/oauth#clients):
- *confidential* — envol's public address is https: its client id is the URL of the client
  metadata document envol serves, and it authenticates at the token endpoint with a JWT signed by
  its own key (`private_key_jwt`, ES256). Chosen for real instances: envol is a server that keeps
  acting for the person (a follow migration runs for days at Bluesky's limits), and
  authorisation servers give confidential clients longer sessions than public ones.
- *loopback* — envol runs on http://127.0.0.1 (development, the sandbox, tests): the client id
  is `http://localhost?redirect_uri=…&scope=…`, a public client whose metadata the server derives
  from the id itself (nothing to fetch), as @atproto/oauth-provider allows for development.

Why written here rather than taken from PyPI: the `atproto` SDK (0.0.73) has no OAuth client;
the two packages that do (`atproto-oauth` 0.1.0, async-only, a packaging of an unmerged SDK pull
request; `atproto-oauth-py` 0.1.0, alpha) are first releases with no track record, and envol needs
every request to go through its guarded transport and the DPoP layer as an httpx transport under
the SDK's client (`DpopTransport`). This module is httpx + `cryptography` only.

Pure Python, no Django: the caller gives the HTTP transport (the guarded one) and the clock.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from envol.networks.base import AuthError, NetworkError, NotFound
from envol.networks.guarded import Http, json_object, post_form
from envol.networks.http import http_transport
from envol.networks.pkce import Pkce

SIGN_IN_SCOPE = "atproto"
"""Identity only: who the person is, no access to their repository."""

FOLLOW_SCOPE = "atproto repo:app.bsky.graph.follow?action=create"
"""Identity and creating follow records, nothing else (granular permission, @atproto/pds ≥ 0.4
with @atproto/oauth-scopes): what a follow migration needs. Reading follows is public."""

CLIENT_SCOPE = FOLLOW_SCOPE  # the most envol ever asks (client metadata)

TOKEN_LEEWAY_S = 60  # refresh this long before the access token expires


class OAuthError(NetworkError):
    """The sign-in cannot go on; the message says why in plain words (English, for logs)."""

    def __init__(self, message: str, code: str = "oauth") -> None:
        super().__init__(message, code=code)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_int(number: int) -> str:
    return _b64(number.to_bytes(32, "big"))


# --- keys and JWTs (ES256 on P-256) -----------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """An ES256 key: a session's DPoP key, or envol's client key (with its `kid`)."""

    private: ec.EllipticCurvePrivateKey = field(repr=False)
    kid: str = ""

    @classmethod
    def generate(cls, kid: str = "") -> SigningKey:
        return cls(ec.generate_private_key(ec.SECP256R1()), kid)

    @classmethod
    def from_pem(cls, pem: bytes, kid: str = "") -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("The OAuth client key must be an EC P-256 private key.")
        return cls(key, kid or _thumbprint(_public_jwk(key)))

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_jwk(self) -> dict[str, str]:
        jwk = _public_jwk(self.private)
        if self.kid:
            jwk |= {"kid": self.kid, "use": "sig", "alg": "ES256"}
        return jwk

    def private_jwk(self) -> dict[str, str]:
        """For storing a session's DPoP key (encrypted, with the tokens it binds)."""
        number = self.private.private_numbers().private_value
        return _public_jwk(self.private) | {"d": _b64_int(number)}

    @classmethod
    def from_private_jwk(cls, jwk: Mapping[str, str]) -> SigningKey:
        padded = jwk["d"] + "=" * (-len(jwk["d"]) % 4)
        value = int.from_bytes(base64.urlsafe_b64decode(padded), "big")
        return cls(ec.derive_private_key(value, ec.SECP256R1()))

    def sign_jwt(self, header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
        head = _b64(json.dumps({"alg": "ES256", **header}, separators=(",", ":")).encode())
        body = _b64(json.dumps(dict(payload), separators=(",", ":")).encode())
        signing_input = f"{head}.{body}".encode("ascii")
        der = self.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{head}.{body}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _b64_int(numbers.x), "y": _b64_int(numbers.y)}


def _thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 thumbprint: a stable key id."""
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


# --- the client (envol) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClientConfig:
    """Who envol is to authorisation servers."""

    client_id: str
    redirect_uri: str
    key: SigningKey | None = None  # set: confidential client (private_key_jwt)
    client_name: str = "envol"
    client_uri: str = ""

    @property
    def confidential(self) -> bool:
        return self.key is not None

    @classmethod
    def for_public_url(
        cls, public_url: str, redirect_path: str, metadata_path: str, key: SigningKey | None
    ) -> ClientConfig:
        """Confidential on an https address; a loopback client on http://127.0.0.1 or
        localhost (development), whose id carries its redirect URI and scopes."""
        base = public_url.rstrip("/")
        redirect_uri = base + redirect_path
        host = urlsplit(base).hostname or ""
        if base.startswith("https://"):
            return cls(base + metadata_path, redirect_uri, key, client_uri=base)
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise OAuthError(
                f"{public_url} is neither https nor a loopback address: AT Protocol OAuth "
                "needs an https public address (ENVOL_PUBLIC_URL).",
                code="client",
            )
        # A loopback client's redirect URI must use the IP literal, never "localhost".
        return loopback_client(redirect_uri.replace("://localhost", "://127.0.0.1", 1))

    def metadata(self) -> dict[str, Any]:
        """The client metadata document (served at `client_id` when confidential). Its scope
        is the most envol may ask; each authorisation asks only what it needs."""
        document: dict[str, Any] = {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "client_uri": self.client_uri,
            "redirect_uris": [self.redirect_uri],
            "scope": CLIENT_SCOPE,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "application_type": "web",
            "dpop_bound_access_tokens": True,
        }
        if self.key is not None:
            document |= {
                "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_signing_alg": "ES256",
                "jwks": {"keys": [self.key.public_jwk()]},
            }
        else:
            document["token_endpoint_auth_method"] = "none"  # noqa: S105 - a method name
        return document

    def authentication(self, issuer: str) -> dict[str, str]:
        """The client's part of a PAR or token request."""
        params = {"client_id": self.client_id}
        if self.key is not None:
            now = int(time.time())
            assertion = self.key.sign_jwt(
                {"typ": "JWT", "kid": self.key.kid},
                {
                    "iss": self.client_id,
                    "sub": self.client_id,
                    "aud": issuer,
                    "jti": secrets.token_urlsafe(16),
                    "iat": now,
                    "exp": now + 60,
                },
            )
            params |= {
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            }
        return params


def loopback_client(redirect_uri: str) -> ClientConfig:
    """A loopback (development) client: the server derives its metadata from the id, the
    scopes it may ask included."""
    query = urlencode([("redirect_uri", redirect_uri), ("scope", CLIENT_SCOPE)])
    return ClientConfig(f"http://localhost?{query}", redirect_uri, None)


# --- identity: handle → DID → PDS --------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    did: str
    handle: str  # "" when the DID document does not confirm one
    pds: str


@dataclass(frozen=True)
class IdentityResolver:
    """`resolve_handle`: a handle → its DID or None (DNS TXT, then HTTPS well-known, then a
    trusted service's resolveHandle: the caller composes it). DID documents come from the PLC
    directory (`did:plc`) or the domain itself (`did:web`)."""

    http: Http
    resolve_handle: Callable[[str], str | None]
    plc_url: str = "https://plc.directory"

    def account(self, identifier: str) -> Account:
        identifier = identifier.strip().lstrip("@").lower()
        did = identifier if identifier.startswith("did:") else self.resolve_handle(identifier)
        if not did:
            raise NotFound(f"No Bluesky account has the handle @{identifier}.")
        document = self.did_document(did)
        handle = _confirmed_handle(document, identifier, self.resolve_handle)
        return Account(did, handle, _pds_of(document, did))

    def did_document(self, did: str) -> dict[str, Any]:
        if did.startswith("did:plc:"):
            url = f"{self.plc_url.rstrip('/')}/{did}"
        elif did.startswith("did:web:"):
            url = f"https://{did.removeprefix('did:web:')}/.well-known/did.json"
        else:
            raise OAuthError(f"{did} is not a DID envol can resolve.", code="did")
        document = self.http.get_json(url)
        if document.get("id") != did:
            raise OAuthError(f"The DID document of {did} names another DID.", code="did")
        return document


def _confirmed_handle(
    document: Mapping[str, Any], typed: str, resolve: Callable[[str], str | None]
) -> str:
    """The handle the DID document claims, if it resolves back to the DID (bidirectional)."""
    did = str(document.get("id", ""))
    for alias in document.get("alsoKnownAs") or []:
        if isinstance(alias, str) and alias.startswith("at://"):
            handle = alias.removeprefix("at://").lower()
            if handle == typed or resolve(handle) == did:
                return handle
            return ""
    return ""


def _pds_of(document: Mapping[str, Any], did: str) -> str:
    for service in document.get("service") or []:
        if (
            isinstance(service, dict)
            and str(service.get("id", "")).endswith("#atproto_pds")
            and service.get("type") == "AtprotoPersonalDataServer"
        ):
            return str(service.get("serviceEndpoint", "")).rstrip("/")
    raise OAuthError(f"{did} names no personal data server.", code="did")


# --- the authorisation server -------------------------------------------------------------------


@dataclass(frozen=True)
class AuthServer:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    par_endpoint: str
    revocation_endpoint: str = ""


def auth_server_of(pds: str, http: Http) -> AuthServer:
    """The authorisation server a PDS trusts (RFC 9728 then RFC 8414)."""
    resource = http.get_json(f"{pds.rstrip('/')}/.well-known/oauth-protected-resource")
    servers = resource.get("authorization_servers") or []
    if not servers or not isinstance(servers[0], str):
        raise OAuthError(f"{pds} names no authorisation server.", code="metadata")
    return auth_server_metadata(servers[0], http)


def auth_server_metadata(issuer: str, http: Http) -> AuthServer:
    issuer = issuer.rstrip("/")
    meta = http.get_json(f"{issuer}/.well-known/oauth-authorization-server")
    if str(meta.get("issuer", "")).rstrip("/") != issuer:
        raise OAuthError(f"{issuer} announces another issuer.", code="metadata")
    needed = ("authorization_endpoint", "token_endpoint", "pushed_authorization_request_endpoint")
    if any(not isinstance(meta.get(key), str) for key in needed):
        raise OAuthError(f"{issuer} lacks PAR or token endpoints.", code="metadata")
    if "ES256" not in (meta.get("dpop_signing_alg_values_supported") or []):
        raise OAuthError(f"{issuer} does not accept ES256 DPoP proofs.", code="metadata")
    return AuthServer(
        issuer=str(meta["issuer"]),
        authorization_endpoint=str(meta["authorization_endpoint"]),
        token_endpoint=str(meta["token_endpoint"]),
        par_endpoint=str(meta["pushed_authorization_request_endpoint"]),
        revocation_endpoint=str(meta.get("revocation_endpoint") or ""),
    )


# --- DPoP -----------------------------------------------------------------------------------------


def dpop_proof(
    key: SigningKey,
    method: str,
    url: str,
    *,
    nonce: str = "",
    access_token: str = "",
    now: float | None = None,
) -> str:
    """A DPoP proof for one request (RFC 9449 §4): `htu` without query nor fragment."""
    parts = urlsplit(url)
    payload: dict[str, Any] = {
        "jti": secrets.token_urlsafe(16),
        "htm": method.upper(),
        "htu": f"{parts.scheme}://{parts.netloc}{parts.path}",
        "iat": int(time.time() if now is None else now),
    }
    if nonce:
        payload["nonce"] = nonce
    if access_token:
        payload["ath"] = _b64(hashlib.sha256(access_token.encode("ascii")).digest())
    return key.sign_jwt({"typ": "dpop+jwt", "jwk": _public_jwk(key.private)}, payload)


def _asks_for_nonce(response: httpx.Response) -> bool:
    if "dpop-nonce" not in response.headers:
        return False
    if response.status_code == 400:
        try:
            return bool(response.json().get("error") == "use_dpop_nonce")
        except ValueError:
            return False
    return response.status_code == 401 and "use_dpop_nonce" in response.headers.get(
        "www-authenticate", ""
    )


def _post_to_server(
    http: Http, url: str, form: Mapping[str, str], key: SigningKey, nonce: str
) -> tuple[httpx.Response, str]:
    """A form POST to the authorisation server with a DPoP proof; when the server asks for a
    (new) nonce, once more with it. Returns the answer and the latest nonce."""
    for _attempt in range(2):
        proof = dpop_proof(key, "POST", url, nonce=nonce)
        response = post_form(http, url, form, {"DPoP": proof})
        nonce = response.headers.get("dpop-nonce", nonce)
        if not _asks_for_nonce(response):
            break
    return response, nonce


def _server_error(response: httpx.Response, what: str) -> OAuthError:
    try:
        body = response.json()
        detail = f"{body.get('error', '')}: {body.get('error_description', '')}".strip(": ")
    except ValueError:
        detail = response.text[:200]
    error = OAuthError(f"{what} refused (HTTP {response.status_code}): {detail}", code="refused")
    error.http_status = response.status_code
    return error


# --- authorisation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingAuthorization:
    """What the callback needs, kept server-side (the person's session) under `state`."""

    state: str
    issuer: str
    token_endpoint: str
    verifier: str = field(repr=False)
    dpop_jwk: dict[str, str] = field(repr=False)
    nonce: str
    scope: str
    expected_did: str = ""  # when the person typed a handle: the tokens must be theirs

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PendingAuthorization:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def start(
    client: ClientConfig,
    server: AuthServer,
    *,
    scope: str,
    login_hint: str = "",
    expected_did: str = "",
    http: Http,
) -> tuple[PendingAuthorization, str]:
    """Push the authorisation request; return what to keep and where to send the person."""
    pkce = Pkce.new()
    state = secrets.token_urlsafe(24)
    key = SigningKey.generate()
    form = {
        "response_type": "code",
        "redirect_uri": client.redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        **client.authentication(server.issuer),
    }
    if login_hint:
        form["login_hint"] = login_hint
    response, nonce = _post_to_server(http, server.par_endpoint, form, key, "")
    if response.status_code not in (200, 201):
        raise _server_error(response, "The authorisation request")
    request_uri = json_object(response, server.par_endpoint).get("request_uri")
    if not isinstance(request_uri, str):
        raise OAuthError("The authorisation server gave no request_uri.", code="refused")
    pending = PendingAuthorization(
        state=state,
        issuer=server.issuer,
        token_endpoint=server.token_endpoint,
        verifier=pkce.verifier,
        dpop_jwk=key.private_jwk(),
        nonce=nonce,
        scope=scope,
        expected_did=expected_did,
    )
    query = urlencode({"client_id": client.client_id, "request_uri": request_uri})
    return pending, f"{server.authorization_endpoint}?{query}"


@dataclass(frozen=True)
class OAuthSession:
    """The tokens and the DPoP key that binds them: store encrypted, never log."""

    did: str
    handle: str
    pds: str
    issuer: str
    token_endpoint: str
    scope: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    dpop_jwk: dict[str, str] = field(repr=False)
    server_nonce: str = ""
    pds_nonce: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OAuthSession:
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError) as exc:
            raise AuthError(
                "The stored Bluesky authorisation is unreadable: sign in again."
            ) from exc

    @property
    def key(self) -> SigningKey:
        return SigningKey.from_private_jwk(self.dpop_jwk)

    def grants(self, scope: str) -> bool:
        return set(scope.split()) <= set(self.scope.split())


def finish(
    client: ClientConfig,
    pending: PendingAuthorization,
    *,
    code: str,
    issuer: str,
    resolver: IdentityResolver,
    clock: Callable[[], float] = time.time,
) -> OAuthSession:
    """Exchange the code, then check whose tokens these are."""
    if issuer.rstrip("/") != pending.issuer.rstrip("/"):
        raise OAuthError("The answer comes from another authorisation server.", code="issuer")
    key = SigningKey.from_private_jwk(pending.dpop_jwk)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri,
        "code_verifier": pending.verifier,
        **client.authentication(pending.issuer),
    }
    response, nonce = _post_to_server(
        resolver.http, pending.token_endpoint, form, key, pending.nonce
    )
    if response.status_code != 200:
        raise _server_error(response, "The code exchange")
    tokens = json_object(response, pending.token_endpoint)
    did = str(tokens.get("sub", ""))
    if not did.startswith("did:") or tokens.get("token_type", "").lower() != "dpop":
        raise OAuthError("The authorisation server answered tokens envol cannot use.", "tokens")
    if pending.expected_did and did != pending.expected_did:
        raise OAuthError("The account that signed in is not the one typed.", code="account")
    if not set(pending.scope.split()) <= set(str(tokens.get("scope", "")).split()):
        raise OAuthError("The authorisation server granted less than asked.", code="scope")
    account = resolver.account(did)
    # The DID's own PDS must trust this issuer: otherwise any server could claim any DID.
    if auth_server_of(account.pds, resolver.http).issuer.rstrip("/") != pending.issuer.rstrip("/"):
        raise OAuthError("This account's server does not trust that authorisation server.", "sub")
    return OAuthSession(
        did=did,
        handle=account.handle,
        pds=account.pds,
        issuer=pending.issuer,
        token_endpoint=pending.token_endpoint,
        scope=str(tokens.get("scope", "")),
        access_token=str(tokens["access_token"]),
        refresh_token=str(tokens.get("refresh_token", "")),
        expires_at=clock() + float(tokens.get("expires_in", 300)),
        dpop_jwk=pending.dpop_jwk,
        server_nonce=nonce,
    )


def refresh(
    client: ClientConfig,
    session: OAuthSession,
    http: Http,
    clock: Callable[[], float] = time.time,
) -> OAuthSession:
    """New tokens for the same session (the refresh token is single-use)."""
    if not session.refresh_token:
        raise AuthError("The Bluesky authorisation expired: sign in again.")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": session.refresh_token,
        **client.authentication(session.issuer),
    }
    response, nonce = _post_to_server(
        http, session.token_endpoint, form, session.key, session.server_nonce
    )
    if response.status_code in (400, 401):
        raise AuthError("The Bluesky authorisation was revoked or expired: sign in again.")
    if response.status_code != 200:
        raise _server_error(response, "The token refresh")
    tokens = json_object(response, session.token_endpoint)
    if tokens.get("sub") != session.did:
        raise OAuthError("The refreshed tokens are for another account.", code="sub")
    return replace(
        session,
        access_token=str(tokens["access_token"]),
        refresh_token=str(tokens.get("refresh_token") or session.refresh_token),
        expires_at=clock() + float(tokens.get("expires_in", 300)),
        scope=str(tokens.get("scope", session.scope)),
        server_nonce=nonce,
    )


# --- using the tokens: a transport under any httpx client (the atproto SDK's too) ---------------


class DpopTransport(httpx.BaseTransport):
    """Signs every request to the person's PDS with the session's DPoP key and access token,
    answers the PDS's nonce challenges, and refreshes the tokens when they expire (then
    `on_refresh` stores the new session). Requests elsewhere go through unchanged."""

    def __init__(
        self,
        session: OAuthSession,
        refresh_session: Callable[[OAuthSession], OAuthSession],
        *,
        on_refresh: Callable[[OAuthSession], None] | None = None,
        inner: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self._refresh = refresh_session
        self._on_refresh = on_refresh
        self._inner = http_transport(inner)
        self._clock = clock
        self._lock = threading.Lock()
        self._pds = urlsplit(session.pds)

    def _ours(self, request: httpx.Request) -> bool:
        return (request.url.scheme, request.url.netloc.decode("ascii")) == (
            self._pds.scheme,
            self._pds.netloc,
        )

    def _renew(self) -> None:
        self.session = self._refresh(self.session)
        if self._on_refresh is not None:
            self._on_refresh(self.session)

    def _sign(self, request: httpx.Request) -> None:
        session = self.session
        request.headers["Authorization"] = f"DPoP {session.access_token}"
        request.headers["DPoP"] = dpop_proof(
            session.key,
            request.method,
            str(request.url),
            nonce=session.pds_nonce,
            access_token=session.access_token,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._ours(request):
            return self._inner.handle_request(request)
        request.read()  # the body may be sent again (nonce, refresh)
        with self._lock:
            if self._clock() >= self.session.expires_at - TOKEN_LEEWAY_S:
                self._renew()
        refreshed = False
        for _attempt in range(3):
            self._sign(request)
            response = self._inner.handle_request(request)
            nonce = response.headers.get("dpop-nonce")
            if nonce and nonce != self.session.pds_nonce:
                self.session = replace(self.session, pds_nonce=nonce)
            if _asks_for_nonce(response):
                response.close()
                continue
            challenge = response.headers.get("www-authenticate", "")
            if response.status_code == 401 and "invalid_token" in challenge and not refreshed:
                response.close()
                with self._lock:
                    self._renew()
                refreshed = True
                continue
            return response
        return response

    def close(self) -> None:
        self._inner.close()
