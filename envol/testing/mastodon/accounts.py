"""Accounts: credentials, profile, lookup, search, follows and their lists.

docs: methods/accounts, methods/search. Remote accounts are simulated: the server "knows" a remote
account once it is in its database (``Account.known``); the others sit in a remote directory that
only a WebFinger resolution (``/api/v2/search?resolve=true`` with a user token) brings in.
"""

from __future__ import annotations

from typing import Any

from envol.testing.mastodon.http import (
    NOT_ALLOWED,
    TOO_MANY_REQUESTS,
    ApiError,
    Call,
    Reply,
    not_found,
    validation_failed,
)
from envol.testing.mastodon.pagination import limit_param, link_header, paginate
from envol.testing.mastodon.params import as_list, truthy
from envol.testing.mastodon.records import Account, Follow, ProfileField
from envol.testing.mastodon.text_length import grapheme_count

DEFAULT_ACCOUNTS_LIMIT = 40
SEARCH_LIMIT = 20
FOLLOW_LIMIT = 7500  # FollowLimitValidator: beyond this, followers × 1.1
FOLLOW_LIMIT_RATIO = 1.1
MAX_FIELDS = 4
FIELD_CHARACTERS = 255
DISPLAY_NAME_CHARACTERS = 30
NOTE_CHARACTERS = 500
SELF_FOLLOW = "Following your own account is not allowed"
RESOLVE_NEEDS_USER = (
    "Search queries that resolve remote resources are not supported without authentication"
)
PAGING_NEEDS_USER = "Search queries pagination is not supported without authentication"


def verify_credentials(call: Call) -> Reply:
    """docs: methods/accounts#verify_credentials."""
    return Reply(call.backend.presenter.credential_account(call.user))


def update_credentials(call: Call) -> Reply:
    """docs: methods/accounts#update_credentials (display_name, note, flags, fields_attributes)."""
    account = call.user
    errors = []
    display_name = call.param("display_name")
    if display_name is not None and grapheme_count(str(display_name)) > DISPLAY_NAME_CHARACTERS:
        errors.append(f"Display name is too long (maximum is {DISPLAY_NAME_CHARACTERS} characters)")
    note = call.param("note")
    if note is not None and grapheme_count(str(note)) > NOTE_CHARACTERS:
        errors.append(f"Note is too long (maximum is {NOTE_CHARACTERS} characters)")
    fields = None
    if call.param("fields_attributes") is not None:
        fields = _fields(call, account, as_list(call.param("fields_attributes")))
        if len(fields) > MAX_FIELDS:
            errors.append(f"Fields is too long (maximum is {MAX_FIELDS} characters)")
        if any(len(f.name) > FIELD_CHARACTERS or len(f.value) > FIELD_CHARACTERS for f in fields):
            errors.append("Fields is invalid")
    if errors:
        raise validation_failed(*errors)
    if display_name is not None:
        account.display_name = str(display_name)
    if note is not None:
        account.note = str(note)
    for flag in ("locked", "bot", "discoverable", "hide_collections"):
        if call.param(flag) is not None:
            setattr(account, flag, truthy(call.param(flag)))
    if fields is not None:
        account.fields = fields
    return Reply(call.backend.presenter.credential_account(account))


def _fields(call: Call, account: Account, raw: list[Any]) -> list[ProfileField]:
    """Keep ``verified_at`` for unchanged values; verify values whose page links back (rel=me)."""
    previous = {(f.name, f.value): f.verified_at for f in account.fields}
    profile_url = call.backend.presenter.account(account)["url"]
    now = call.backend.clock.utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    fields = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        name, value = str(entry.get("name") or ""), str(entry.get("value") or "")
        if not name and not value:
            continue
        verified = previous.get((name, value))
        if verified is None and profile_url in call.backend.rel_me_pages.get(value.strip(), set()):
            verified = now
        fields.append(ProfileField(name, value, verified))
    return fields


def show(call: Call) -> Reply:
    """docs: methods/accounts#get."""
    return Reply(call.backend.presenter.account(_known(call, call.path("id"))))


def lookup(call: Call) -> Reply:
    """docs: methods/accounts#lookup — known accounts only: no WebFinger, 404 otherwise."""
    username, domain = _split_acct(call, str(call.param("acct") or ""))
    account = call.backend.store.find_account(username, domain) if username else None
    if account is None or not account.known or account.suspended:
        raise not_found()
    return Reply(call.backend.presenter.account(account))


def search_v2(call: Call) -> Reply:
    """docs: methods/search#v2 — accounts only (no full-text index here: statuses stay empty)."""
    _require_query(call)
    kind = call.param("type")
    accounts = [] if kind not in (None, "", "accounts") else _search_accounts(call)
    presenter = call.backend.presenter
    return Reply(
        {"accounts": [presenter.account(a) for a in accounts], "statuses": [], "hashtags": []}
    )


def search_v1_accounts(call: Call) -> Reply:
    """docs: methods/accounts#search."""
    _require_query(call)
    return Reply([call.backend.presenter.account(a) for a in _search_accounts(call)])


def follow(call: Call) -> Reply:
    """docs: methods/accounts#follow — idempotent; 403 when blocked; counted in ``follows``.

    source: FollowService returns the existing follow (options updated) without a new record, so
    a repeated follow is not counted; a new follow or follow request is (RateLimiter, 400 / 24 h).
    Unlocked remote accounts accept at once (the Accept activity is simulated).
    """
    me, target = call.user, _known(call, call.path("id"))
    store = call.backend.store
    if target.id == me.id:
        raise ApiError(403, SELF_FOLLOW)
    if (me.id, target.id) in store.blocks or (target.id, me.id) in store.blocks:
        raise ApiError(403, NOT_ALLOWED)
    existing = store.follow_between(me.id, target.id)
    if existing is not None:
        _apply_follow_options(call, existing)
        store.counters["follows_repeated"] += 1
        return Reply(call.backend.presenter.follow_relationship(me.id, target, existing))
    limit = _follow_limit(call, me)
    if len(store.follows_of(me.id)) >= limit:
        raise validation_failed(f"You cannot follow more than {limit} people")
    window = call.backend.limiter.hit("follows", me.id)
    if window.exceeded:
        call.backend.limiter.rollback("follows", me.id)
        raise ApiError(429, TOO_MANY_REQUESTS)
    created = Follow(store.next_id(), me.id, target.id, pending=target.locked)
    _apply_follow_options(call, created)
    store.add_follow(created)
    store.counters["follows_created"] += 1
    return Reply(call.backend.presenter.follow_relationship(me.id, target, created))


def unfollow(call: Call) -> Reply:
    """docs: methods/accounts#unfollow — idempotent."""
    me, target = call.user, _known(call, call.path("id"))
    existing = call.backend.store.follow_between(me.id, target.id)
    if existing is not None:
        call.backend.store.remove_follow(existing)
        call.backend.store.counters["unfollows"] += 1
    return Reply(call.backend.presenter.relationship(me.id, target))


def relationships(call: Call) -> Reply:
    """docs: methods/accounts#relationships — unknown ids are left out."""
    me = call.user
    store = call.backend.store
    wanted = [str(i) for i in as_list(call.param("id"))]
    found = [store.accounts[i] for i in dict.fromkeys(wanted) if i in store.accounts]
    return Reply([call.backend.presenter.relationship(me.id, a) for a in found if a.known])


def following(call: Call) -> Reply:
    """docs: methods/accounts#following — Link pagination over follow ids."""
    account = _known(call, call.path("id"))
    return _follow_list(call, account, call.backend.store.follows_of(account.id), "target_id")


def followers(call: Call) -> Reply:
    """docs: methods/accounts#followers — Link pagination over follow ids."""
    account = _known(call, call.path("id"))
    return _follow_list(call, account, call.backend.store.followers_of(account.id), "account_id")


def _follow_list(call: Call, account: Account, follows: list[Follow], side: str) -> Reply:
    viewer = call.account
    if account.hide_collections and (viewer is None or viewer.id != account.id):
        follows = []
    limit = limit_param(call.param("limit"), DEFAULT_ACCOUNTS_LIMIT)
    page = paginate(follows, lambda f: f.id, call.params, limit)
    store, presenter = call.backend.store, call.backend.presenter
    body = [presenter.account(store.accounts[getattr(f, side)]) for f in page.items]
    headers = {}
    if page.items:
        keep = {"limit": call.param("limit")} if call.param("limit") else {}
        link = link_header(
            call.base_url,
            call.request.url.path,
            keep,
            page.items[-1].id if page.full else None,
            ("since_id", page.items[0].id),
        )
        headers["Link"] = link
    return Reply(body, headers=headers)


def _apply_follow_options(call: Call, follow: Follow) -> None:
    if "reblogs" in call.params:
        follow.reblogs = truthy(call.param("reblogs"))
    if "notify" in call.params:
        follow.notify = truthy(call.param("notify"))
    if "languages" in call.params:
        follow.languages = [str(x) for x in as_list(call.param("languages"))] or None


def _follow_limit(call: Call, account: Account) -> int:
    base = call.backend.settings.follow_limit
    if len(call.backend.store.follows_of(account.id)) < base:
        return base
    return max(round(len(call.backend.store.followers_of(account.id)) * FOLLOW_LIMIT_RATIO), base)


def _known(call: Call, account_id: str) -> Account:
    account = call.backend.store.accounts.get(account_id)
    if account is None or not account.known or account.suspended:
        raise not_found()
    return account


def _split_acct(call: Call, acct: str) -> tuple[str, str | None]:
    username, _, domain = acct.strip().lstrip("@").partition("@")
    if not domain or domain.lower() == call.backend.settings.domain.lower():
        return username, None
    return username, domain


def _require_query(call: Call) -> None:
    if not str(call.param("q") or "").strip():
        raise ApiError(400, "param is missing or the value is empty: q")
    if call.account is None and truthy(call.param("resolve")):
        raise ApiError(401, RESOLVE_NEEDS_USER)
    if call.account is None and call.param("offset") not in (None, "", "0"):
        raise ApiError(401, PAGING_NEEDS_USER)


def _search_accounts(call: Call) -> list[Account]:
    """An exact address first (resolved through the directory when allowed), then prefixes."""
    query = str(call.param("q")).strip()
    store = call.backend.store
    limit = limit_param(call.param("limit"), SEARCH_LIMIT)
    offset = int(call.param("offset") or 0)
    results: list[Account] = []
    if "@" in query.lstrip("@"):
        username, domain = _split_acct(call, query)
        exact = store.find_account(username, domain)
        if exact is not None and not exact.known and truthy(call.param("resolve")):
            exact.known = True  # WebFinger found it: the server now knows the account
            store.counters["webfinger_resolutions"] += 1
        if exact is not None and exact.known and not exact.suspended:
            results.append(exact)
        return results[offset : offset + limit]
    needle = query.lstrip("@").lower()
    only_following = truthy(call.param("following"))
    followed = {f.target_id for f in store.follows_of(call.account.id)} if call.account else set()
    for account in sorted(store.accounts.values(), key=lambda a: a.username.lower()):
        if not account.known or account.suspended or account in results:
            continue
        if only_following and account.id not in followed:
            continue
        words = account.display_name.lower().split()
        if account.username.lower().startswith(needle) or any(w.startswith(needle) for w in words):
            results.append(account)
    return results[offset : offset + limit]
