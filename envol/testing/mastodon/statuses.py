"""Statuses: post (with Idempotency-Key and scheduling), view, delete, list an account's.

docs: methods/statuses, methods/scheduled_statuses, methods/accounts#statuses, entities/Status,
entities/ScheduledStatus. Source for the rules: app/services/post_status_service.rb (idempotency
kept 1 hour, media checks, scheduled_at at least 5 minutes ahead),
app/validators/status_length_validator.rb, app/policies/status_policy.rb (who sees what),
app/models/account_statuses_filter.rb and app/controllers/api/v1/accounts/statuses_controller.rb
(an account's statuses), and the English locale for the exact messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from envol.testing.mastodon.http import (
    TOO_MANY_REQUESTS,
    ApiError,
    Call,
    Reply,
    not_found,
    validation_failed,
)
from envol.testing.mastodon.pagination import limit_param, link_header, paginate
from envol.testing.mastodon.params import as_list, truthy
from envol.testing.mastodon.records import Account, Media, ScheduledStatus, Status
from envol.testing.mastodon.text_length import countable_length

IDEMPOTENCY_SECONDS = 3600
MIN_SCHEDULE_OFFSET = 5 * 60
MAX_MEDIA = 4
DEFAULT_STATUSES_LIMIT = 20
VISIBILITIES = ("public", "unlisted", "private", "direct")
IN_REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."
TOO_MANY_MEDIA = "Cannot attach more than 4 files"
MEDIA_NOT_FOUND = "Media {ids} not found or already attached to another post"
MEDIA_NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
VIDEO_WITH_IMAGES = "Cannot attach a video to a post that already contains images"


def create(call: Call) -> Reply:
    """docs: methods/statuses#create."""
    me = call.user
    backend, store = call.backend, call.backend.store
    now = backend.clock.now()
    key = call.request.headers.get("idempotency-key")
    if key:
        replay = _idempotent_replay(call, me, key, now)
        if replay is not None:
            return replay
    if call.param("poll") is not None:
        raise ApiError(422, "Polls are not simulated by this test server")
    text = str(call.param("status") or "")
    spoiler = str(call.param("spoiler_text") or "")
    visibility = str(call.param("visibility") or "public")
    if visibility not in VISIBILITIES:
        raise validation_failed("Visibility is not included in the list")
    reply_to = None
    if call.param("in_reply_to_id"):
        reply_to = store.statuses.get(str(call.param("in_reply_to_id")))
        if reply_to is None or reply_to.reblog_of_id or not may_see(store, me, reply_to):
            raise ApiError(404, IN_REPLY_NOT_FOUND)
    media = _media(call, me, [str(m) for m in as_list(call.param("media_ids"))])
    scheduled_at = _scheduled_at(call.param("scheduled_at"))
    if not text.strip() and not media:
        raise validation_failed("Text can't be blank")
    if countable_length(text, spoiler) > backend.settings.max_characters:
        raise validation_failed(
            f"Text character limit of {backend.settings.max_characters} exceeded"
        )
    if scheduled_at is not None:
        if scheduled_at <= now + MIN_SCHEDULE_OFFSET:
            raise validation_failed("Scheduled at date must be in the future")
        scheduled = ScheduledStatus(
            id=store.next_id(),
            account_id=me.id,
            scheduled_at=scheduled_at,
            params=_scheduled_params(call, text, spoiler, visibility, media),
            media_ids=[m.id for m in media],
        )
        store.scheduled[scheduled.id] = scheduled
        for item in media:
            item.scheduled_status_id = scheduled.id
        _remember(call, me, key, "scheduled", scheduled.id, now)
        return Reply(backend.presenter.scheduled_status(scheduled))
    if backend.limiter.hit("statuses", me.id).exceeded:
        backend.limiter.rollback("statuses", me.id)
        raise ApiError(429, TOO_MANY_REQUESTS)
    status = Status(
        id=store.next_id(),
        account_id=me.id,
        text=text,
        spoiler_text=spoiler,
        visibility=visibility,
        sensitive=truthy(call.param("sensitive")) or bool(spoiler),
        language=call.param("language") or None,
        in_reply_to_id=reply_to.id if reply_to else None,
        in_reply_to_account_id=replied_account_id(reply_to, me.id),
        media_ids=[m.id for m in media],
        created_at=now,
        application=_application_name(call),
    )
    publish(call.backend.store, status, media)
    _remember(call, me, key, "status", status.id, now)
    return Reply(backend.presenter.status(status, viewer=me))


def replied_account_id(parent: Status | None, author_id: str) -> str | None:
    """source: Status#carried_over_reply_to_account_id — a thread that continues one's own reply
    to someone else still answers that someone (so ``exclude_replies`` leaves it out)."""
    if parent is None:
        return None
    if parent.account_id == author_id and parent.in_reply_to_id is not None:
        return parent.in_reply_to_account_id
    return parent.account_id


def publish(store: Any, status: Status, media: list[Media]) -> None:
    store.add_status(status)
    for item in media:
        item.status_id = status.id
        item.scheduled_status_id = None
    store.counters["statuses_created"] += 1


def show(call: Call) -> Reply:
    """docs: methods/statuses#get — 404 for a status the viewer may not see."""
    status = visible_status(call, call.path("id"))
    return Reply(call.backend.presenter.status(status, viewer=call.account))


def delete(call: Call) -> Reply:
    """docs: methods/statuses#delete — own statuses only; returns the source ``text``.

    Deleting a status deletes its boosts and favourites too (RemoveStatusService); a boost is
    undone with ``unreblog``, not here (its id is not found among one's own statuses' ids in
    Mastodon's API either way, but is accepted, as RemoveStatusService accepts it)."""
    me = call.user
    status = call.backend.store.statuses.get(call.path("id"))
    if status is None or status.account_id != me.id:
        raise not_found()
    rendered = call.backend.presenter.status(status, viewer=me, with_source=True)
    call.backend.store.remove_status(status)
    for media_id in status.media_ids:
        media = call.backend.store.media.get(media_id)
        if media is not None and truthy(call.param("delete_media")):
            del call.backend.store.media[media_id]
        elif media is not None:
            media.status_id = None
    call.backend.store.counters["statuses_deleted"] += 1
    return Reply(rendered)


FILTER_KEYS = ("pinned", "tagged", "only_media", "exclude_replies", "exclude_reblogs")


def account_statuses(call: Call) -> Reply:
    """docs: methods/accounts#statuses — newest first, at most 40, Link with max_id / min_id.

    source: Api::V1::Accounts::StatusesController and AccountStatusesFilter: what the viewer may
    see of the account (anonymous: public and unlisted; the author: everything; blocked by the
    account: nothing; others: public, unlisted, and private when following), boosts of blocked
    accounts left out; ``exclude_replies`` keeps self-replies that answer no one else.
    Simplified: statuses cannot be pinned here, so ``pinned`` finds nothing; hashtags are not
    extracted (``tags`` is always empty), so ``tagged`` finds nothing, as Mastodon does for a tag
    it does not know.
    """
    store = call.backend.store
    account = store.accounts.get(call.path("id"))
    if account is None or not account.known:
        raise not_found()
    statuses = [] if account.suspended else _listable(store, account, call.account)
    if truthy(call.param("pinned")) or call.param("tagged"):
        statuses = []  # nothing is ever pinned here, and hashtags are not extracted
    if truthy(call.param("only_media")):
        statuses = [s for s in statuses if s.media_ids]
    if truthy(call.param("exclude_replies")):
        statuses = [s for s in statuses if not _answers_someone_else(s)]
    if truthy(call.param("exclude_reblogs")):
        statuses = [s for s in statuses if s.reblog_of_id is None]
    limit = limit_param(call.param("limit"), DEFAULT_STATUSES_LIMIT)
    page = paginate(statuses, lambda s: s.id, call.params, limit)
    headers = {}
    if page.items:
        keep = {
            k: v for k, v in call.params.items() if k in ("limit", *FILTER_KEYS) and v is not None
        }
        headers["Link"] = link_header(
            call.base_url,
            call.request.url.path,
            keep,
            page.items[-1].id if page.full else None,
            ("min_id", page.items[0].id),
        )
    presenter = call.backend.presenter
    return Reply([presenter.status(s, viewer=call.account) for s in page.items], headers=headers)


def _listable(store: Any, account: Account, viewer: Account | None) -> list[Status]:
    """source: AccountStatusesFilter#initial_scope (mentions are not tracked here)."""
    statuses: list[Status] = store.statuses_of(account.id)
    if viewer is None:
        return [s for s in statuses if s.visibility in ("public", "unlisted")]
    if viewer.id == account.id:
        return statuses
    if (account.id, viewer.id) in store.blocks:
        return []
    follow = store.follow_between(viewer.id, account.id)
    shown = (
        ("public", "unlisted", "private")
        if follow and not follow.pending
        else ("public", "unlisted")
    )
    return [
        s
        for s in statuses
        if s.visibility in shown and not (s.reblog_of_id and _excluded(store, viewer, s))
    ]


def _excluded(store: Any, viewer: Account, boost: Status) -> bool:
    """A boost of an account the viewer blocks or is blocked by (excluded_from_timeline)."""
    original = store.statuses.get(boost.reblog_of_id)
    author = original.account_id if original else ""
    return (viewer.id, author) in store.blocks or (author, viewer.id) in store.blocks


def _answers_someone_else(status: Status) -> bool:
    """source: Status.without_replies — reply = FALSE OR in_reply_to_account_id = account_id."""
    replying = status.in_reply_to_id is not None
    return replying and status.in_reply_to_account_id != status.account_id


def scheduled_list(call: Call) -> Reply:
    """docs: methods/scheduled_statuses#get."""
    me = call.user
    mine = [s for s in call.backend.store.scheduled.values() if s.account_id == me.id]
    mine.sort(key=lambda s: int(s.id), reverse=True)
    return Reply([call.backend.presenter.scheduled_status(s) for s in mine])


def scheduled_show(call: Call) -> Reply:
    """docs: methods/scheduled_statuses#get-one."""
    return Reply(call.backend.presenter.scheduled_status(_own_scheduled(call)))


def scheduled_cancel(call: Call) -> Reply:
    """docs: methods/scheduled_statuses#cancel."""
    scheduled = _own_scheduled(call)
    del call.backend.store.scheduled[scheduled.id]
    for media_id in scheduled.media_ids:
        if media_id in call.backend.store.media:
            call.backend.store.media[media_id].scheduled_status_id = None
    return Reply({})


def publish_due(backend: Any) -> None:
    """Post the scheduled statuses whose time has come (Mastodon's scheduler, run lazily)."""
    store = backend.store
    now = backend.clock.now()
    for scheduled in [s for s in store.scheduled.values() if s.scheduled_at <= now]:
        del store.scheduled[scheduled.id]
        params = scheduled.params
        media = [store.media[m] for m in scheduled.media_ids if m in store.media]
        reply_to = store.statuses.get(str(params.get("in_reply_to_id") or ""))
        status = Status(
            id=store.next_id(),
            account_id=scheduled.account_id,
            text=params.get("text") or "",
            spoiler_text=params.get("spoiler_text") or "",
            visibility=params.get("visibility") or "public",
            sensitive=bool(params.get("sensitive")),
            language=params.get("language"),
            in_reply_to_id=reply_to.id if reply_to else None,
            in_reply_to_account_id=replied_account_id(reply_to, scheduled.account_id),
            media_ids=[m.id for m in media],
            created_at=scheduled.scheduled_at,
            application=_app_name(store, params.get("application_id")),
        )
        publish(store, status, media)


def _idempotent_replay(call: Call, me: Account, key: str, now: float) -> Reply | None:
    stored = call.backend.store.idempotency.get(f"{me.id}:{key}")
    if stored is None or stored[2] + IDEMPOTENCY_SECONDS <= now:
        return None
    kind, record_id, _ = stored
    store, presenter = call.backend.store, call.backend.presenter
    call.backend.store.counters["idempotent_replays"] += 1
    if kind == "status" and record_id in store.statuses:
        return Reply(presenter.status(store.statuses[record_id], viewer=me))
    if kind == "scheduled" and record_id in store.scheduled:
        return Reply(presenter.scheduled_status(store.scheduled[record_id]))
    return None  # the first one is gone: Mastodon would 404 on find; posting again is kinder


def _remember(
    call: Call, me: Account, key: str | None, kind: str, record_id: str, now: float
) -> None:
    if key:
        call.backend.store.idempotency[f"{me.id}:{key}"] = (kind, record_id, now)


def _media(call: Call, me: Account, media_ids: list[str]) -> list[Media]:
    if len(media_ids) > MAX_MEDIA:
        raise ApiError(422, TOO_MANY_MEDIA)
    store, now = call.backend.store, call.backend.clock.now()
    found = [store.media.get(m) for m in media_ids]
    usable = [
        m
        for m in found
        if m is not None
        and m.account_id == me.id
        and m.status_id is None
        and m.scheduled_status_id is None
    ]
    if len(usable) != len(media_ids):
        missing = [i for i, m in zip(media_ids, found, strict=True) if m not in usable]
        raise ApiError(422, MEDIA_NOT_FOUND.format(ids=", ".join(missing)))
    if any(m.processed_at > now for m in usable):
        raise ApiError(422, MEDIA_NOT_READY)
    if len(usable) > 1 and any(m.type in ("video", "gifv") for m in usable):
        raise ApiError(422, VIDEO_WITH_IMAGES)
    return usable


def _scheduled_at(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise validation_failed("Scheduled at is invalid") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _scheduled_params(
    call: Call, text: str, spoiler: str, visibility: str, media: list[Media]
) -> dict[str, Any]:
    """docs: entities/ScheduledStatus#params."""
    token = call.token
    return {
        "text": text,
        "media_ids": [m.id for m in media] or None,
        "sensitive": truthy(call.param("sensitive")) if call.param("sensitive") else None,
        "spoiler_text": spoiler or None,
        "visibility": visibility,
        "scheduled_at": None,
        "poll": None,
        "idempotency": call.request.headers.get("idempotency-key"),
        "in_reply_to_id": call.param("in_reply_to_id") or None,
        "language": call.param("language") or None,
        "application_id": int(token.app_id) if token else None,
    }


def _application_name(call: Call) -> str | None:
    return _app_name(call.backend.store, call.token.app_id if call.token else None)


def _app_name(store: Any, app_id: Any) -> str | None:
    app = store.apps.get(str(app_id)) if app_id is not None else None
    return app.name if app else None


def may_see(store: Any, viewer: Account | None, status: Status) -> bool:
    """source: StatusPolicy#show? (mentions are not tracked: a direct status is its author's)."""
    author = store.accounts[status.account_id]
    if author.suspended:
        return False
    if viewer is not None and viewer.id == status.account_id:
        return True
    if status.visibility in ("public", "unlisted"):
        return viewer is None or (author.id, viewer.id) not in store.blocks
    if status.visibility == "private" and viewer is not None:
        follow = store.follow_between(viewer.id, status.account_id)
        return follow is not None and not follow.pending
    return False


def visible_status(call: Call, status_id: str) -> Status:
    """The status, or 404 when missing or hidden from the caller (Api::V1::Statuses::
    BaseController#set_status turns NotPermittedError into not_found)."""
    status = call.backend.store.statuses.get(status_id)
    if status is None or not may_see(call.backend.store, call.account, status):
        raise not_found()
    return status


def _own_scheduled(call: Call) -> ScheduledStatus:
    scheduled = call.backend.store.scheduled.get(call.path("id"))
    if scheduled is None or scheduled.account_id != call.user.id:
        raise not_found()
    return scheduled
