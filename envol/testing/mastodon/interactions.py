"""Favourites and boosts: give and undo them, and list who gave them.

docs: methods/statuses#favourite, #unfavourite, #boost, #unreblog, #favourited_by,
#reblogged_by. Source: app/controllers/api/v1/statuses/{favourites,reblogs,
favourited_by_accounts,reblogged_by_accounts}_controller.rb, app/services/favourite_service.rb,
app/services/reblog_service.rb, app/policies/status_policy.rb (#favourite?, #reblog?).

Each is idempotent as in Mastodon: favouriting or boosting twice returns the first, undoing
what was never done answers the status as it is. Mastodon undoes asynchronously (a worker) but
answers with the count already lowered; here the undo is immediate, so the answer is the same.
"""

from __future__ import annotations

from typing import Any

from envol.testing.mastodon.http import (
    NOT_ALLOWED,
    TOO_MANY_REQUESTS,
    ApiError,
    Call,
    Reply,
    validation_failed,
)
from envol.testing.mastodon.pagination import limit_param, link_header, paginate
from envol.testing.mastodon.records import Account, Favourite, Status
from envol.testing.mastodon.statuses import visible_status

DEFAULT_ACCOUNTS_LIMIT = 40
REBLOG_VISIBILITIES = ("public", "unlisted", "private")


def favourite(call: Call) -> Reply:
    """docs: methods/statuses#favourite — a boost's id favourites the original."""
    me = call.user
    store = call.backend.store
    status = _proper(store, visible_status(call, call.path("id")))
    _refuse_if_author_blocked(call, me, status)
    if store.favourite_between(me.id, status.id) is None:
        now = call.backend.clock.now()
        store.add_favourite(Favourite(store.next_id(), me.id, status.id, now))
        store.counters["favourites_created"] += 1
    return Reply(call.backend.presenter.status(status, viewer=me))


def unfavourite(call: Call) -> Reply:
    """docs: methods/statuses#unfavourite."""
    me = call.user
    store = call.backend.store
    status = _proper(store, visible_status(call, call.path("id")))
    existing = store.favourite_between(me.id, status.id)
    if existing is not None:
        store.remove_favourite(existing)
        store.counters["favourites_removed"] += 1
    return Reply(call.backend.presenter.status(status, viewer=me))


def reblog(call: Call) -> Reply:
    """docs: methods/statuses#boost — answers the boost (its ``reblog`` is the original).

    source: ReblogService: boosting a boost boosts its original; a private status is boosted
    only by its author, keeping its visibility; a direct one never; a new boost counts in the
    ``statuses`` rate-limit family, a repeated one returns the first.
    """
    me = call.user
    store, backend = call.backend.store, call.backend
    original = _proper(store, visible_status(call, call.path("id")))
    if original.visibility == "direct" or (
        original.visibility == "private" and original.account_id != me.id
    ):
        raise ApiError(403, NOT_ALLOWED)
    _refuse_if_author_blocked(call, me, original)
    existing = store.reblog_between(me.id, original.id)
    if existing is not None:
        return Reply(backend.presenter.status(existing, viewer=me))
    visibility = str(call.param("visibility") or "public")
    if visibility not in REBLOG_VISIBILITIES:
        raise validation_failed("Visibility is not included in the list")
    if original.visibility == "private":
        visibility = original.visibility
    if backend.limiter.hit("statuses", me.id).exceeded:
        backend.limiter.rollback("statuses", me.id)
        raise ApiError(429, TOO_MANY_REQUESTS)
    boost = store.add_status(
        Status(
            id=store.next_id(),
            account_id=me.id,
            text="",
            spoiler_text="",
            visibility=visibility,
            sensitive=False,
            language=None,
            in_reply_to_id=None,
            in_reply_to_account_id=None,
            media_ids=[],
            created_at=backend.clock.now(),
            application=None,
            reblog_of_id=original.id,
        )
    )
    store.counters["reblogs_created"] += 1
    return Reply(backend.presenter.status(boost, viewer=me))


def unreblog(call: Call) -> Reply:
    """docs: methods/statuses#unreblog — answers the original, no longer boosted by the caller
    (counted in the ``deletes`` throttle, see Backend.throttle)."""
    me = call.user
    store = call.backend.store
    original = store.statuses.get(call.path("id"))
    boost = store.reblog_between(me.id, original.id) if original else None
    if boost is not None and original is not None:
        store.remove_status(boost)
        store.counters["reblogs_removed"] += 1
    else:
        original = visible_status(call, call.path("id"))
    return Reply(call.backend.presenter.status(original, viewer=me))


def favourited_by(call: Call) -> Reply:
    """docs: methods/statuses#favourited_by — newest favourite first, paginated by its id."""
    status = visible_status(call, call.path("id"))
    given = call.backend.store.favourites_of_status(status.id)
    return _givers(call, [(f.id, f.account_id) for f in given])


def reblogged_by(call: Call) -> Reply:
    """docs: methods/statuses#reblogged_by — newest boost first, paginated by the boost's id;
    only public and unlisted boosts (RebloggedByAccountsController#paginated_statuses), though
    ``reblogs_count`` counts them all."""
    status = visible_status(call, call.path("id"))
    boosts = call.backend.store.reblogs_of(status.id)
    shown = [(b.id, b.account_id) for b in boosts if b.visibility in ("public", "unlisted")]
    return _givers(call, shown)


def _givers(call: Call, given: list[tuple[str, str]]) -> Reply:
    """Accounts behind (cursor id, account id) pairs, without suspended accounts or, for a
    signed-in caller, accounts blocking or blocked by them (Account.not_excluded_by_account)."""
    store, viewer = call.backend.store, call.account
    kept = [
        (cursor, store.accounts[account_id])
        for cursor, account_id in given
        if not store.accounts[account_id].suspended
        and not (viewer is not None and _blocked_either_way(store, viewer.id, account_id))
    ]
    limit = limit_param(call.param("limit"), DEFAULT_ACCOUNTS_LIMIT)
    page = paginate(kept, lambda pair: pair[0], call.params, limit)
    headers = {}
    if page.items:
        keep = {"limit": call.param("limit")} if call.param("limit") else {}
        headers["Link"] = link_header(
            call.base_url,
            call.request.url.path,
            keep,
            page.items[-1][0] if page.full else None,
            ("since_id", page.items[0][0]),
        )
    presenter = call.backend.presenter
    return Reply([presenter.account(account) for _, account in page.items], headers=headers)


def _proper(store: Any, status: Status) -> Status:
    """The original of a boost, else the status itself (Status#proper)."""
    if status.reblog_of_id and status.reblog_of_id in store.statuses:
        original: Status = store.statuses[status.reblog_of_id]
        return original
    return status


def _refuse_if_author_blocked(call: Call, me: Account, status: Status) -> None:
    """StatusPolicy#favourite? and #reblog? also need ``!blocking_author?``."""
    if (me.id, status.account_id) in call.backend.store.blocks:
        raise ApiError(403, NOT_ALLOWED)


def _blocked_either_way(store: Any, a: str, b: str) -> bool:
    return (a, b) in store.blocks or (b, a) in store.blocks
