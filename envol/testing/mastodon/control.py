"""Test-only controls (not Mastodon's API): make accounts, seed data, move the clock, set budgets.

Used by ``MastodonTestServer``'s Python methods and, for a server in another process, by the
``/_test/…`` routes at the end of this module.
"""

from __future__ import annotations

from typing import Any

from envol.testing.mastodon.backend import Backend
from envol.testing.mastodon.http import ApiError, Call, Reply
from envol.testing.mastodon.records import (
    Account,
    App,
    Favourite,
    Follow,
    ProfileField,
    Status,
    Token,
)
from envol.testing.mastodon.statuses import publish, replied_account_id

_TEST_APP_NAME = "envol test fixtures"


def create_account(
    backend: Backend,
    username: str,
    *,
    display_name: str = "",
    note: str = "",
    locked: bool = False,
    scopes: tuple[str, ...] = ("read", "write", "follow", "push"),
) -> tuple[Account, Token]:
    """A local account and a user token for it (as if it had gone through OAuth)."""
    store = backend.store
    with store.lock:
        if store.find_account(username, None) is not None:
            raise ValueError(f"@{username} already exists on {backend.settings.domain}")
        account = store.add_account(
            Account(
                id=store.next_id(),
                username=username,
                domain=None,
                display_name=display_name,
                note=note,
                locked=locked,
                created_at=backend.clock.now(),
            )
        )
        token = Token(
            id=store.next_id(),
            value=store.secret(),
            app_id=_fixtures_app(backend).id,
            account_id=account.id,
            scopes=list(scopes),
            created_at=backend.clock.now(),
        )
        store.tokens[token.value] = token
        store.save()
    return account, token


def add_remote_account(
    backend: Backend,
    acct: str,
    *,
    known: bool = False,
    display_name: str = "",
    note: str = "",
    locked: bool = False,
    fields: list[tuple[str, str, str | None]] | None = None,
) -> Account:
    """A ``user@other.example`` account in the remote directory (``known``: already in the DB)."""
    username, _, domain = acct.lstrip("@").partition("@")
    if not username or not domain or domain.lower() == backend.settings.domain.lower():
        raise ValueError(f"{acct!r} is not a remote address like user@other.example")
    store = backend.store
    with store.lock:
        existing = store.find_account(username, domain)
        if existing is not None:
            existing.known = existing.known or known
            return existing
        account = store.add_account(
            Account(
                id=store.next_id(),
                username=username,
                domain=domain.lower(),
                display_name=display_name,
                note=note,
                locked=locked,
                fields=[ProfileField(n, v, at) for n, v, at in fields or []],
                created_at=backend.clock.now(),
                known=known,
            )
        )
        store.save()
    return account


def seed_status(backend: Backend, account: Account, text: str, **fields: Any) -> Status:
    """A status as if posted long ago: no rate limit, no idempotency, any ``created_at``;
    ``in_reply_to_id`` makes it a reply, ``reblog_of_id`` a boost (with no text)."""
    store = backend.store
    with store.lock:
        parent = store.statuses.get(fields.get("in_reply_to_id") or "")
        status = Status(
            id=store.next_id(),
            account_id=account.id,
            text=text,
            spoiler_text=fields.get("spoiler_text", ""),
            visibility=fields.get("visibility", "public"),
            sensitive=fields.get("sensitive", False),
            language=fields.get("language"),
            in_reply_to_id=parent.id if parent else None,
            in_reply_to_account_id=replied_account_id(parent, account.id),
            media_ids=[],
            created_at=fields.get("created_at", backend.clock.now()),
            application=None,
            reblog_of_id=fields.get("reblog_of_id"),
        )
        publish(store, status, [])
        store.counters["statuses_created"] -= 1  # seeded, not posted through the API
        store.save()
    return status


def seed_favourite(backend: Backend, account: Account, status_id: str) -> Favourite:
    """``account`` favourites the status (once), not counted against any budget."""
    store = backend.store
    with store.lock:
        existing = store.favourite_between(account.id, status_id)
        if existing is not None:
            return existing
        if status_id not in store.statuses:
            raise KeyError(f"no status {status_id} on the test server")
        now = backend.clock.now()
        favourite = store.add_favourite(Favourite(store.next_id(), account.id, status_id, now))
        store.save()
    return favourite


def seed_follow(backend: Backend, follower: Account, target: Account) -> Follow:
    """An accepted follow, not counted against any budget."""
    store = backend.store
    with store.lock:
        existing = store.follow_between(follower.id, target.id)
        if existing is not None:
            return existing
        follow = store.add_follow(Follow(store.next_id(), follower.id, target.id))
        store.save()
    return follow


def seed_block(backend: Backend, blocker: Account, blocked: Account) -> None:
    """``blocker`` blocks ``blocked`` (Mastodon then refuses follows either way)."""
    with backend.store.lock:
        backend.store.blocks.add((blocker.id, blocked.id))
        backend.store.save()


def _fixtures_app(backend: Backend) -> App:
    store = backend.store
    for app in store.apps.values():
        if app.name == _TEST_APP_NAME:
            return app
    app = App(
        store.next_id(),
        _TEST_APP_NAME,
        None,
        ["read", "write", "follow", "push"],
        ["urn:ietf:wg:oauth:2.0:oob"],
        store.secret(),
        store.secret(),
    )
    store.apps[app.id] = app
    return app


# HTTP face of the same controls, for a server running in another process.


def http_create_account(call: Call) -> Reply:
    username = str(call.param("username") or "")
    if not username:
        raise ApiError(422, "username is required")
    try:
        account, token = create_account(
            call.backend, username, display_name=str(call.param("display_name") or "")
        )
    except ValueError as error:
        raise ApiError(422, str(error)) from error
    return Reply({"account": call.backend.presenter.account(account), "access_token": token.value})


def http_add_remote_account(call: Call) -> Reply:
    try:
        account = add_remote_account(
            call.backend,
            str(call.param("acct") or ""),
            known=str(call.param("known") or "").lower() in ("1", "true"),
            display_name=str(call.param("display_name") or ""),
        )
    except ValueError as error:
        raise ApiError(422, str(error)) from error
    return Reply(
        {"id": account.id, "acct": call.backend.presenter.acct(account), "known": account.known}
    )


def http_advance_clock(call: Call) -> Reply:
    call.backend.clock.advance(float(call.param("seconds") or 0))
    return Reply({"now": call.backend.clock.now()})


def http_set_budget(call: Call) -> Reply:
    try:
        period = call.param("period")
        call.backend.limiter.set_budget(
            str(call.param("name")), int(call.param("limit")), int(period) if period else None
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ApiError(422, str(error)) from error
    return Reply({})


def http_counters(call: Call) -> Reply:
    return Reply(dict(call.backend.store.counters))
