"""Connected accounts: connect, re-check, disconnect, and build the network adapter for one.

Every other app reaches a network through `network_for(account)`, which restores the stored
session (credentials are decrypted only here) and saves it back, encrypted, whenever the network
refreshes it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envol import outbound
from envol.networks import ssrf
from envol.networks.base import AuthError, Network, NetworkError
from envol.networks.bluesky import BlueskyConfig, BlueskyNetwork, BlueskySession
from envol.networks.ratelimit import Clock, utc_now
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.models import Network as NetworkChoice
from envol.orgs.services import OrgError, audit


class AccountError(OrgError):
    """Connecting or using an account failed in a way the user can act on."""


def check_server_url(url: str) -> str:
    """Normalise a server URL typed by a user and refuse private addresses (SSRF), unless the
    instance runs its own test servers (ENVOL_ALLOW_PRIVATE_NETWORKS)."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AccountError(
            _("'%(url)s' is not a server address such as https://mastodon.social.") % {"url": url}
        )
    if not settings.ENVOL_ALLOW_PRIVATE_NETWORKS:
        if parts.scheme != "https":
            raise AccountError(_("The server address must start with https://."))
        try:
            ssrf.check_url(url)
        except ssrf.SsrfRefused as exc:
            raise AccountError(
                _("This server cannot be reached from envol: %(reason)s") % {"reason": str(exc)}
            ) from None
    return f"{parts.scheme}://{parts.netloc}"


def _bluesky_config(service: str) -> BlueskyConfig:
    private = settings.ENVOL_ALLOW_PRIVATE_NETWORKS and not service.startswith("https://bsky.")
    return BlueskyConfig(
        service=service,
        appview=None if private else (settings.ENVOL_BLUESKY_APPVIEW or None),
    )


def explain(exc: NetworkError) -> str:
    """A network error in the member's language, with what to do."""
    if isinstance(exc, AuthError):
        return _(
            "The network refused the credentials. Check the handle and the app password "
            "(Settings → Privacy and security → App passwords on Bluesky), then try again."
        )
    return _("The network answered with an error: %(error)s") % {"error": str(exc)}


@transaction.atomic
def connect_bluesky(
    org: Organisation, handle: str, app_password: str, service: str | None = None, actor: Any = None
) -> ConnectedAccount:
    """Log in with an app password (never the main password) and store the session, encrypted."""
    service = check_server_url(service or settings.ENVOL_BLUESKY_SERVICE)
    try:
        adapter = BlueskyNetwork.login(
            _bluesky_config(service), handle, app_password, transport=outbound.transport()
        )
        me = adapter.whoami()
    except NetworkError as exc:
        raise AccountError(explain(exc)) from None
    account, _created = ConnectedAccount.objects.update_or_create(
        organisation=org,
        network=NetworkChoice.BLUESKY,
        handle=me.handle,
        defaults={"remote_id": me.remote_id, "instance_url": service},
    )
    account.set_credentials({"app_password": app_password, "session": adapter.export_session()})
    _mark_ok(account)
    audit(
        "account.connect",
        organisation=org,
        actor=actor,
        obj=account,
        network="bluesky",
        handle=me.handle,
    )
    return account


def _mark_ok(account: ConnectedAccount) -> None:
    account.status = ConnectedAccount.Status.OK
    account.status_detail = ""
    account.checked_at = timezone.now()
    account.save()


def _mark_broken(account: ConnectedAccount, reason: str) -> None:
    account.status = ConnectedAccount.Status.BROKEN
    account.status_detail = reason[:500]
    account.checked_at = timezone.now()
    account.save(update_fields=["status", "status_detail", "checked_at"])


def network_for(account: ConnectedAccount, *, clock: Clock = utc_now) -> Network:
    """The adapter acting as `account`. Raises AccountError (and marks the account broken) when
    its credentials no longer work. `clock`: the time its rate budgets and records go by (a
    job passes the engine's, so that tests hold at any hour)."""
    credentials = account.get_credentials()
    try:
        if account.network == NetworkChoice.BLUESKY:
            return _bluesky_for(account, credentials, clock)
        if account.network == NetworkChoice.MASTODON:
            from envol.orgs.mastodon_accounts import mastodon_for

            adapter: Network = mastodon_for(account, credentials, clock)
            return adapter
    except AuthError as exc:
        _mark_broken(account, str(exc))
        raise AccountError(explain(exc)) from None
    raise AccountError(
        _("envol cannot act on %(network)s accounts.") % {"network": account.get_network_display()}
    )


def _bluesky_over_oauth(
    account: ConnectedAccount, stored: dict[str, Any], clock: Clock
) -> BlueskyNetwork:
    """A person who signed in with Bluesky and let envol follow for them: their OAuth session
    (DPoP-bound tokens), refreshed as needed and saved back encrypted."""
    from envol.networks.atproto_oauth import DpopTransport, OAuthSession
    from envol.people.signin import bluesky_refresher

    session = OAuthSession.from_json(stored)

    def save(fresh: OAuthSession) -> None:
        credentials = account.get_credentials()
        credentials["oauth"] = fresh.to_json()
        account.set_credentials(credentials)
        account.save(update_fields=["credentials_encrypted"])

    transport = DpopTransport(
        session, bluesky_refresher(), on_refresh=save, inner=outbound.transport()
    )
    return BlueskyNetwork.over_oauth(
        _bluesky_config(session.pds),
        session.did,
        session.handle or account.handle,
        transport,
        clock=clock,
    )


def _bluesky_for(
    account: ConnectedAccount, credentials: dict[str, Any], clock: Clock
) -> BlueskyNetwork:
    if "oauth" in credentials:
        return _bluesky_over_oauth(account, credentials["oauth"], clock)
    config = _bluesky_config(account.instance_url or settings.ENVOL_BLUESKY_SERVICE)

    def save_session(session: BlueskySession) -> None:
        fresh = account.get_credentials()
        fresh["session"] = session.export()
        account.set_credentials(fresh)
        account.save(update_fields=["credentials_encrypted"])

    try:
        return BlueskyNetwork(
            config,
            BlueskySession.load(credentials["session"]),
            on_session_change=save_session,
            transport=outbound.transport(),
            clock=clock,
        )
    except (AuthError, KeyError):
        # The refresh token expired or was revoked: log in again with the stored app password.
        if not credentials.get("app_password"):
            raise
        adapter = BlueskyNetwork.login(
            config,
            account.handle,
            credentials["app_password"],
            on_session_change=save_session,
            transport=outbound.transport(),
            clock=clock,
        )
        save_session(BlueskySession.load(adapter.export_session()))
        return adapter


def recheck(account: ConnectedAccount, actor: Any = None) -> ConnectedAccount:
    """Ask the network who we are; mark the account OK or broken."""
    try:
        network_for(account).whoami()
    except AccountError:
        return account
    except NetworkError as exc:
        _mark_broken(account, str(exc))
        return account
    _mark_ok(account)
    audit("account.recheck", organisation=account.organisation, actor=actor, obj=account)
    return account


@transaction.atomic
def disconnect(account: ConnectedAccount, actor: Any = None) -> None:
    """Forget the credentials. Publications keep pointing at the account row (PROTECT), so the
    row stays, emptied and marked as needing a reconnection."""
    audit(
        "account.disconnect",
        organisation=account.organisation,
        actor=actor,
        obj=account,
        network=account.network,
        handle=account.handle,
    )
    if account.publications.exists():
        account.credentials_encrypted = ""
        _mark_broken(account, _("Disconnected."))
        account.save(update_fields=["credentials_encrypted"])
    else:
        account.delete()
