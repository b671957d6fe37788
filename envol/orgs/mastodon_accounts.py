"""Connecting Mastodon accounts with OAuth (authorization code + PKCE).

The web flow keeps the PKCE verifier and the organisation in the member's session under a random
`state`; the command line uses Mastodon's out-of-band redirect (the server shows the code, the
admin pastes it). envol never sees the Mastodon password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from envol import outbound
from envol.networks.base import NetworkError
from envol.networks.mastodon import (
    OUT_OF_BAND,
    SCOPES,
    MastodonApp,
    MastodonNetwork,
    Pkce,
    authorize_url,
    exchange_code,
    register_app,
)
from envol.networks.ratelimit import Clock, utc_now
from envol.orgs import crypto
from envol.orgs.accounts import AccountError, _mark_ok, check_server_url, explain
from envol.orgs.models import ConnectedAccount, MastodonOAuthApp, Organisation
from envol.orgs.models import Network as NetworkChoice
from envol.orgs.services import audit

SESSION_KEY = "mastodon_oauth"


@dataclass(frozen=True)
class PendingAuthorization:
    app: MastodonApp
    pkce: Pkce
    state: str
    authorize_url: str


def app_for(instance: str, redirect_uri: str, scopes: str = SCOPES) -> MastodonApp:
    """envol's app on `instance` for this callback, registered on first use with `scopes`
    (the most its authorisations may ask: one set per callback)."""
    stored = MastodonOAuthApp.objects.filter(instance=instance, redirect_uri=redirect_uri).first()
    if stored is not None:
        return MastodonApp(
            instance,
            stored.client_id,
            crypto.decrypt(stored.client_secret_encrypted),
            redirect_uri,
            scopes,
        )
    try:
        app = register_app(
            instance,
            redirect_uri,
            website=settings.PUBLIC_URL,
            scopes=scopes,
            transport=outbound.transport(),
        )
    except NetworkError as exc:
        raise AccountError(
            _("The server %(instance)s refused to register envol: %(error)s")
            % {"instance": instance, "error": exc}
        ) from None
    MastodonOAuthApp.objects.get_or_create(
        instance=instance,
        redirect_uri=redirect_uri,
        defaults={
            "client_id": app.client_id,
            "client_secret_encrypted": crypto.encrypt(app.client_secret),
        },
    )
    return app


def _begin(instance: str, redirect_uri: str) -> PendingAuthorization:
    instance = check_server_url(instance)
    app = app_for(instance, redirect_uri)
    pkce = Pkce.new()
    state = secrets.token_urlsafe(24)
    return PendingAuthorization(app, pkce, state, authorize_url(app, state=state, pkce=pkce))


def start_out_of_band(instance: str) -> PendingAuthorization:
    return _begin(instance, OUT_OF_BAND)


def callback_url() -> str:
    return settings.PUBLIC_URL + reverse("mastodon_callback")


def start_web_authorization(request: HttpRequest, org: Organisation, instance: str) -> str:
    """Remember what the callback needs in the session; return where to send the member."""
    pending = _begin(instance, callback_url())
    waiting = request.session.get(SESSION_KEY, {})
    waiting[pending.state] = {
        "org": org.slug,
        "instance": pending.app.instance,
        "verifier": pending.pkce.verifier,
        "challenge": pending.pkce.challenge,
    }
    request.session[SESSION_KEY] = waiting
    return pending.authorize_url


def pending_from_session(request: HttpRequest, state: str) -> tuple[str, PendingAuthorization]:
    """The organisation slug and the pending authorisation for `state` (used once)."""
    waiting = request.session.get(SESSION_KEY, {})
    entry = waiting.pop(state, None)
    request.session[SESSION_KEY] = waiting
    if entry is None:
        raise AccountError(_("This authorisation is unknown or was already used: start again."))
    app = app_for(entry["instance"], callback_url())
    pkce = Pkce(entry["verifier"], entry["challenge"])
    return entry["org"], PendingAuthorization(app, pkce, state, "")


def finish(
    org: Organisation, pending: PendingAuthorization, code: str, actor: Any = None
) -> ConnectedAccount:
    """Exchange the code for a token, then connect with it."""
    try:
        token = exchange_code(
            pending.app, code.strip(), pkce=pending.pkce, transport=outbound.transport()
        )
    except NetworkError as exc:
        raise AccountError(explain(exc)) from None
    return connect_with_token(org, pending.app.instance, token, actor=actor)


@transaction.atomic
def connect_with_token(
    org: Organisation, instance: str, token: str, actor: Any = None
) -> ConnectedAccount:
    """Find out whom `token` acts as and store it encrypted. Also serves admins who created a
    token themselves (Mastodon: Preferences → Development) and the sandbox."""
    instance = check_server_url(instance)
    try:
        adapter = MastodonNetwork(instance, token, transport=outbound.transport())
        try:
            me = adapter.whoami()
            domain = adapter.domain
        finally:
            adapter.close()
    except NetworkError as exc:
        raise AccountError(explain(exc)) from None
    handle = me.handle if "@" in me.handle else f"{me.handle}@{domain}"
    account, _created = ConnectedAccount.objects.update_or_create(
        organisation=org,
        network=NetworkChoice.MASTODON,
        handle=handle,
        defaults={"remote_id": me.remote_id, "instance_url": instance},
    )
    account.set_credentials({"access_token": token})
    _mark_ok(account)
    audit(
        "account.connect",
        organisation=org,
        actor=actor,
        obj=account,
        network="mastodon",
        handle=handle,
    )
    return account


def mastodon_for(
    account: ConnectedAccount, credentials: dict[str, Any], clock: Clock = utc_now
) -> MastodonNetwork:
    if not credentials.get("access_token"):
        raise AccountError(_("This Mastodon account must be reconnected."))
    return MastodonNetwork(
        account.instance_url,
        credentials["access_token"],
        transport=outbound.transport(),
        clock=clock,
    )
