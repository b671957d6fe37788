"""Signing in with Bluesky or Mastodon on the web: start an authorisation, finish it.

One flow for three intents: `signin` (who are you — the narrowest scope), `connect` (a signed-in
person adds their other network, same scope) and `follow` (a signed-in person lets envol follow
accounts for them: Bluesky's follow-record permission, Mastodon's follows). What the callback
needs waits in the person's session under the authorisation's random `state`, used once.

Every request to an address the person or a remote party chose goes through the one guarded
transport (`envol.outbound.transport()`: public addresses only, unless
ENVOL_ALLOW_PRIVATE_NETWORKS for the sandbox and tests).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from envol import config, outbound
from envol.networks import atproto_oauth as oauth
from envol.networks import mastodon as masto
from envol.networks.base import NetworkError
from envol.networks.guarded import GuardedError, Http
from envol.orgs.accounts import AccountError, check_server_url
from envol.orgs.mastodon_accounts import app_for
from envol.people.services import NetworkIdentity, SignInRefused

SESSION_KEY = "people_oauth"
INTENTS = ("signin", "connect", "follow")
MASTODON_FOLLOW_SCOPE = "read:accounts read:follows write:follows"
"""What a Mastodon follow migration does: find accounts, read relationships first (never follow
twice), follow. Nothing else: no posts, no direct messages."""


@dataclass(frozen=True)
class Finished:
    intent: str
    identity: NetworkIdentity
    credentials: dict[str, Any]  # only for `follow`: what the connected account keeps
    invitation: str


def _remember(request: HttpRequest, state: str, entry: dict[str, Any]) -> None:
    waiting = request.session.get(SESSION_KEY, {})
    waiting[state] = entry
    request.session[SESSION_KEY] = waiting


def _recall(request: HttpRequest, state: str, network: str) -> dict[str, Any]:
    waiting = request.session.get(SESSION_KEY, {})
    entry = waiting.pop(state, None)
    request.session[SESSION_KEY] = waiting
    if not entry or entry.get("network") != network:
        raise SignInRefused(_("This sign-in is unknown or was already used: start again."))
    return dict(entry)


# --- Bluesky --------------------------------------------------------------------------------------


def _client_key() -> oauth.SigningKey:
    def make() -> str:
        return oauth.SigningKey(ec.generate_private_key(ec.SECP256R1())).pem().decode()

    pem = config.stored_secret(settings.DATA_DIR / "oauth_client_key.pem", make)
    return oauth.SigningKey.from_pem(pem.encode())


def bluesky_client() -> oauth.ClientConfig:
    """Confidential on an https public address, a loopback client in development."""
    https = settings.PUBLIC_URL.startswith("https://")
    return oauth.ClientConfig.for_public_url(
        settings.PUBLIC_URL,
        reverse("people:bluesky_callback"),
        reverse("people:client_metadata"),
        _client_key() if https else None,
    )


def _http() -> Http:
    return Http(transport=outbound.transport())


def _resolver() -> oauth.IdentityResolver:
    http = _http()
    service = settings.ENVOL_BLUESKY_SERVICE.rstrip("/")

    def resolve_handle(handle: str) -> str | None:
        """The handle's DID: asked of the configured service first (it resolves any handle),
        then the handle's own domain (DNS TXT, then HTTPS well-known)."""
        from envol.networks.bluesky import HandleLookups, resolve_handle_locally

        try:
            answer = http.get_json(
                f"{service}/xrpc/com.atproto.identity.resolveHandle?handle={handle}"
            )
            did = answer.get("did")
            if isinstance(did, str) and did.startswith("did:"):
                return did
        except NetworkError:
            pass
        return resolve_handle_locally(handle, HandleLookups())

    return oauth.IdentityResolver(http, resolve_handle, plc_url=settings.ENVOL_PLC_URL)


def _explain(exc: Exception) -> str:
    return _("Bluesky did not let envol go on: %(error)s") % {"error": str(exc)}


def begin_bluesky(request: HttpRequest, handle: str, intent: str, invitation: str = "") -> str:
    """Where to send the person to authorise envol (their own server's page)."""
    handle = handle.strip().lstrip("@")
    if not handle:
        raise SignInRefused(_("Type your Bluesky handle, such as alice.bsky.social."))
    scope = oauth.FOLLOW_SCOPE if intent == "follow" else oauth.SIGN_IN_SCOPE
    try:
        account = _resolver().account(handle)
        server = oauth.auth_server_of(account.pds, _http())
        pending, url = oauth.start(
            bluesky_client(),
            server,
            scope=scope,
            login_hint=account.handle or account.did,
            expected_did=account.did,
            http=_http(),
        )
    except (NetworkError, GuardedError) as exc:
        raise SignInRefused(
            _("No Bluesky account could be found for @%(handle)s: %(error)s")
            % {"handle": handle, "error": exc}
        ) from None
    _remember(
        request,
        pending.state,
        {
            "network": "bluesky",
            "intent": intent,
            "invitation": invitation,
            "pending": pending.to_json(),
        },
    )
    return url


def finish_bluesky(request: HttpRequest, params: Any) -> Finished:
    entry = _recall(request, str(params.get("state", "")), "bluesky")
    if params.get("error") or not params.get("code"):
        raise SignInRefused(_("Bluesky did not authorise envol. Nothing changed."))
    pending = oauth.PendingAuthorization.from_json(entry["pending"])
    try:
        session = oauth.finish(
            bluesky_client(),
            pending,
            code=str(params["code"]),
            issuer=str(params.get("iss", "")),
            resolver=_resolver(),
        )
    except (NetworkError, GuardedError) as exc:
        raise SignInRefused(_explain(exc)) from None
    identity = NetworkIdentity("bluesky", session.did, session.handle or session.did, session.pds)
    credentials = {"oauth": session.to_json()} if entry["intent"] == "follow" else {}
    return Finished(entry["intent"], identity, credentials, entry.get("invitation", ""))


def bluesky_refresher() -> Any:
    """Refreshes a stored OAuth session (used by the connected account's transport)."""
    client, http = bluesky_client(), _http()
    return lambda session: oauth.refresh(client, session, http)


# --- Mastodon -------------------------------------------------------------------------------------


def _mastodon_callback() -> str:
    return settings.PUBLIC_URL + reverse("people:mastodon_callback")


def begin_mastodon(request: HttpRequest, server: str, intent: str, invitation: str = "") -> str:
    try:
        instance = check_server_url(server)
        version = masto.server_version(instance, transport=outbound.transport())
    except AccountError as exc:
        raise SignInRefused(str(exc)) from None
    except NetworkError as exc:
        raise SignInRefused(
            _("The server %(server)s does not answer as a Mastodon server: %(error)s")
            % {"server": server, "error": exc}
        ) from None
    sign_in_scope = masto.sign_in_scope(version)
    try:
        app = app_for(instance, _mastodon_callback(), f"{sign_in_scope} {MASTODON_FOLLOW_SCOPE}")
    except AccountError as exc:
        raise SignInRefused(str(exc)) from None
    scope = f"{sign_in_scope} {MASTODON_FOLLOW_SCOPE}" if intent == "follow" else sign_in_scope
    pkce = masto.Pkce.new()
    state = secrets.token_urlsafe(24)
    _remember(
        request,
        state,
        {
            "network": "mastodon",
            "intent": intent,
            "invitation": invitation,
            "instance": instance,
            "scope": scope,
            "all_scopes": app.scopes,
            "verifier": pkce.verifier,
            "challenge": pkce.challenge,
        },
    )
    return masto.authorize_url(replace(app, scopes=scope), state=state, pkce=pkce)


def finish_mastodon(request: HttpRequest, params: Any) -> Finished:
    entry = _recall(request, str(params.get("state", "")), "mastodon")
    if params.get("error") or not params.get("code"):
        raise SignInRefused(_("The Mastodon server did not authorise envol. Nothing changed."))
    instance = entry["instance"]
    app = replace(
        app_for(instance, _mastodon_callback(), entry["all_scopes"]), scopes=entry["scope"]
    )
    try:
        token = masto.exchange_code(
            app,
            str(params["code"]),
            pkce=masto.Pkce(entry["verifier"], entry["challenge"]),
            transport=outbound.transport(),
        )
        adapter = masto.MastodonNetwork(instance, token, transport=outbound.transport())
        try:
            me = adapter.whoami()
            domain = adapter.domain
        finally:
            adapter.close()
    except (NetworkError, AccountError) as exc:
        raise SignInRefused(
            _("The Mastodon server did not let envol go on: %(error)s") % {"error": exc}
        ) from None
    acct = (me.handle if "@" in me.handle else f"{me.handle}@{domain}").lower()
    identity = NetworkIdentity("mastodon", acct, acct, instance, account_id=me.remote_id)
    if entry["intent"] == "follow":
        credentials = {"access_token": token}
    else:
        credentials = {}
        masto.revoke_token(app, token, transport=outbound.transport())  # envol keeps nothing
    return Finished(entry["intent"], identity, credentials, entry.get("invitation", ""))
