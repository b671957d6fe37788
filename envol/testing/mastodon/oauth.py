"""Apps and OAuth 2: registration, the authorization page, tokens, revocation, discovery.

docs: methods/apps, methods/oauth, spec/oauth (PKCE with S256 only, since 4.3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from urllib.parse import urlencode, urlsplit

from envol.testing.mastodon.http import ApiError, Call, Reply, validation_failed
from envol.testing.mastodon.records import App, AuthorizationCode, Token

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = 10 * 60  # Doorkeeper's default
_READ_SCOPES = [
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
]
_WRITE_SCOPES = [
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
]
SCOPES = [
    "read",
    "write",
    "follow",
    "push",
    "profile",
    *(f"read:{s}" for s in _READ_SCOPES),
    *(f"write:{s}" for s in _WRITE_SCOPES),
]
_INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The provided authorization grant is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was issued to another client.",
}
_INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method.",
}
_INVALID_SCOPE = {
    "error": "invalid_scope",
    "error_description": "The requested scope is invalid, unknown, or malformed.",
}
_UNSUPPORTED_GRANT = {
    "error": "unsupported_grant_type",
    "error_description": "The authorization grant type is not supported by the authorization "
    "server.",
}


def create_app(call: Call) -> Reply:
    """docs: methods/apps#create."""
    name = str(call.param("client_name") or "").strip()
    raw_uris = call.param("redirect_uris")
    uris = raw_uris if isinstance(raw_uris, list) else str(raw_uris or "").split("\n")
    uris = [str(u).strip() for u in uris if str(u).strip()]
    if not name:
        raise validation_failed("Name can't be blank")
    if not uris:
        raise validation_failed("Redirect URI can't be blank")
    if any(u != OOB and not _absolute_uri(u) for u in uris):
        raise validation_failed("Redirect URI must be an absolute URI.")
    scopes = str(call.param("scopes") or "read").split()
    store = call.backend.store
    app = App(
        id=store.next_id(),
        name=name,
        website=call.param("website") or None,
        scopes=scopes,
        redirect_uris=uris,
        client_id=store.secret(),
        client_secret=store.secret(),
    )
    store.apps[app.id] = app
    return Reply(call.backend.presenter.credential_app(app))


def verify_app(call: Call) -> Reply:
    """docs: methods/apps#verify_credentials (any valid token, app or user)."""
    assert call.token is not None
    return Reply(call.backend.presenter.app(call.backend.store.apps[call.token.app_id]))


def authorize_page(call: Call) -> Reply:
    """docs: methods/oauth#authorize — the consent page, or a redirect when auto-approving."""
    app, redirect_uri, scopes = _authorization_request(call)
    approve_as = call.backend.settings.auto_approve_username
    if approve_as:
        return _approve(call, app, redirect_uri, scopes, approve_as)
    fields = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}">'
        for k, v in call.params.items()
        if isinstance(v, str)
    )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Authorize {html.escape(app.name)}</title></head><body>"
        f"<h1>{html.escape(app.name)} would like to access your account</h1>"
        f"<p>Scopes: {html.escape(' '.join(scopes))}</p>"
        "<form method='post' action='/oauth/authorize'>"
        f"{fields}<label>Username <input name='username' autocomplete='username'></label>"
        "<button type='submit'>Authorize</button></form></body></html>"
    )
    return Reply(page, media_type="text/html")


def authorize_submit(call: Call) -> Reply:
    """The consent form's POST: the named local user approves (this server has no passwords)."""
    app, redirect_uri, scopes = _authorization_request(call)
    return _approve(call, app, redirect_uri, scopes, str(call.param("username") or ""))


def issue_token(call: Call) -> Reply:
    """docs: methods/oauth#token — authorization_code (with PKCE) and client_credentials."""
    app = _client(call)
    store = call.backend.store
    grant = call.param("grant_type")
    if grant == "authorization_code":
        code = store.codes.get(str(call.param("code") or ""))
        if (
            code is None
            or code.used
            or code.app_id != app.id
            or code.expires_at < call.backend.clock.now()
            or code.redirect_uri != (call.param("redirect_uri") or code.redirect_uri)
            or not _pkce_ok(code, call.param("code_verifier"))
        ):
            raise ApiError(400, _INVALID_GRANT)
        code.used = True
        token = _new_token(call, app, code.account_id, code.scopes)
    elif grant == "client_credentials":
        scopes = str(call.param("scope") or "read").split()
        if not set(scopes) <= _allowed(app.scopes):
            raise ApiError(400, _INVALID_SCOPE)
        token = _new_token(call, app, None, scopes)
    else:
        raise ApiError(400, _UNSUPPORTED_GRANT)
    return Reply(
        {
            "access_token": token.value,
            "token_type": "Bearer",
            "scope": " ".join(token.scopes),
            "created_at": int(token.created_at),
        }
    )


def revoke_token(call: Call) -> Reply:
    """docs: methods/oauth#revoke — idempotent; 403 for a token another app owns."""
    app = _client(call, status=403)
    token = call.backend.store.tokens.get(str(call.param("token") or ""))
    if token is not None:
        if token.app_id != app.id:
            raise ApiError(
                403,
                {
                    "error": "unauthorized_client",
                    "error_description": "You are not authorized to revoke this token",
                },
            )
        token.revoked = True
    return Reply({})


def server_metadata(call: Call) -> Reply:
    """docs: methods/oauth#authorization-server-metadata (RFC 8414)."""
    base = call.base_url
    return Reply(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


def _authorization_request(call: Call) -> tuple[App, str, list[str]]:
    app = call.backend.store.app_by_client_id(str(call.param("client_id") or ""))
    if app is None:
        raise ApiError(401, _INVALID_CLIENT)
    redirect_uri = str(call.param("redirect_uri") or "")
    if redirect_uri not in app.redirect_uris:
        raise ApiError(
            400,
            {
                "error": "invalid_redirect_uri",
                "error_description": "The requested redirect uri is malformed or doesn't match "
                "client redirect URI.",
            },
        )
    if call.param("response_type") != "code":
        raise ApiError(400, _UNSUPPORTED_GRANT | {"error": "unsupported_response_type"})
    scopes = str(call.param("scope") or "read").replace("+", " ").split()
    if not set(scopes) <= _allowed(app.scopes):
        raise ApiError(400, _INVALID_SCOPE)
    method = call.param("code_challenge_method")
    if call.param("code_challenge") and method not in (None, "S256"):
        raise ApiError(400, {"error": "invalid_request", "error_description": "PKCE: S256 only"})
    return app, redirect_uri, scopes


def _approve(call: Call, app: App, redirect_uri: str, scopes: list[str], username: str) -> Reply:
    store = call.backend.store
    account = store.find_account(username, None)
    if account is None:
        raise ApiError(401, {"error": "access_denied", "error_description": "Unknown user"})
    code = AuthorizationCode(
        value=store.secret(),
        app_id=app.id,
        account_id=account.id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        expires_at=call.backend.clock.now() + CODE_LIFETIME,
        code_challenge=call.param("code_challenge") or None,
    )
    store.codes[code.value] = code
    if redirect_uri == OOB:
        page = f"<!doctype html><html><body><p>Authorization code: <code>{code.value}</code></p>"
        return Reply(page + "</body></html>", media_type="text/html")
    query = {"code": code.value}
    if call.param("state"):
        query["state"] = str(call.param("state"))
    separator = "&" if "?" in redirect_uri else "?"
    return Reply("", 302, {"Location": redirect_uri + separator + urlencode(query)}, "text/html")


def _client(call: Call, status: int = 401) -> App:
    """Client authentication: client_secret_post or client_secret_basic."""
    client_id, client_secret = call.param("client_id"), call.param("client_secret")
    header = call.request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        decoded = base64.b64decode(header[6:]).decode("utf-8", "replace")
        client_id, _, client_secret = decoded.partition(":")
    app = call.backend.store.app_by_client_id(str(client_id or ""))
    if app is None or not hmac.compare_digest(app.client_secret, str(client_secret or "")):
        if status == 403:
            raise ApiError(
                403,
                {
                    "error": "unauthorized_client",
                    "error_description": "You are not authorized to revoke this token",
                },
            )
        raise ApiError(status, _INVALID_CLIENT)
    return app


def _new_token(call: Call, app: App, account_id: str | None, scopes: list[str]) -> Token:
    store = call.backend.store
    token = Token(
        id=store.next_id(),
        value=store.secret(),
        app_id=app.id,
        account_id=account_id,
        scopes=scopes,
        created_at=call.backend.clock.now(),
    )
    store.tokens[token.value] = token
    return token


def _pkce_ok(code: AuthorizationCode, verifier: object) -> bool:
    if code.code_challenge is None:
        return True
    if not isinstance(verifier, str) or not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(expected, code.code_challenge)


def _allowed(app_scopes: list[str]) -> set[str]:
    """A token may ask for the app's scopes and anything they cover (read → read:accounts…)."""
    allowed = set(app_scopes)
    for scope in SCOPES:
        if any(scope.startswith(umbrella + ":") for umbrella in app_scopes):
            allowed.add(scope)
    return allowed


def _absolute_uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))
