"""A public Mastodon account as a source, read from its server's public API (no token).

- Resolving: `user@domain`, `@user@domain` or the profile's URL (`https://domain/@user`) → the
  server and the account id (`GET /api/v1/accounts/lookup`, docs: methods/accounts#lookup).
- Polling: `GET /api/v1/accounts/:id/statuses?min_id=<newest seen>` (docs:
  methods/accounts#statuses, api/guidelines#pagination): with `min_id` the server answers the
  page just above it, so polls walk forward without a gap however many statuses came between
  two polls; an empty page is the "nothing new" answer. Only public statuses are relayed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from envol.feeds.fetch import SourceClient
from envol.feeds.html import html_to_text
from envol.feeds.items import (
    Polled,
    SourceError,
    SourceImage,
    SourceItem,
    clean_tag,
    hashtags,
    parse_date,
)

PAGE = 40  # the most the endpoint returns
MAX_PAGES = 5


def parse_address(address: str) -> tuple[str, str]:
    """(server URL, username) of `user@domain`, `@user@domain` or `https://domain/@user`."""
    value = address.strip()
    if "://" in value:
        parts = urlsplit(value)
        user = parts.path.strip("/").split("/", 1)[0].lstrip("@")
        if parts.scheme not in ("http", "https") or not parts.netloc or not user:
            raise SourceError("not_found", f"{address!r} is not a Mastodon profile address.")
        return f"{parts.scheme}://{parts.netloc}", user.split("@", 1)[0]
    user, _, domain = value.lstrip("@").partition("@")
    if not user or not domain:
        raise SourceError("not_found", f"{address!r} is not a Mastodon address (user@server).")
    return f"https://{domain}", user


def resolve_account(client: SourceClient, address: str) -> dict[str, str]:
    """{"instance", "account_id", "acct", "url"} of a Mastodon address."""
    instance, user = parse_address(address)
    account = client.get_json(f"{instance}/api/v1/accounts/lookup", {"acct": user})
    if not isinstance(account, dict) or not account.get("id"):
        raise SourceError("not_found", f"No Mastodon account {address!r}.")
    return {
        "instance": instance,
        "account_id": str(account["id"]),
        "acct": str(account.get("acct", user)),
        "url": str(account.get("url", "")),
    }


def poll_account(client: SourceClient, state: dict[str, Any]) -> Polled:
    """Public statuses newer than `state["newest"]` (all of the latest page on a first poll)."""
    instance, account_id = str(state["instance"]), str(state["account_id"])
    newest = str(state.get("newest", ""))
    found: list[dict[str, Any]] = []
    for _page in range(MAX_PAGES if newest else 1):
        params = {"limit": PAGE, **({"min_id": newest} if newest else {})}
        page = client.get_json(f"{instance}/api/v1/accounts/{account_id}/statuses", params)
        if not isinstance(page, list):
            raise SourceError("unreadable", f"{instance} did not answer a list of statuses.")
        found += page
        if page:
            newest = max((str(s["id"]) for s in page), key=int)
        if len(page) < PAGE or not state.get("newest"):
            break
    # "0" after a first poll that found nothing: the next polls walk forward from the start
    # (min_id=0), never just the latest page, however many statuses come meanwhile.
    next_state = {**state, "newest": newest or "0"}
    items = [status_item(s, account_id) for s in found if s.get("visibility") == "public"]
    items.sort(key=lambda item: (item.published_at is None, item.published_at))
    return Polled(items, next_state, changed=bool(found))


def status_item(status: dict[str, Any], account_id: str) -> SourceItem:
    """A status (or a boost: `reblog` holds what it shares) as a source item."""
    shared = status.get("reblog") or None
    text = html_to_text(str(status.get("content", "") or ""))
    card = status.get("card") or {}
    images = tuple(
        SourceImage(str(m.get("url") or ""), str(m.get("description") or ""))
        for m in status.get("media_attachments") or []
        if m.get("type") == "image" and m.get("url")
    )
    replying_to = status.get("in_reply_to_account_id")
    return SourceItem(
        key=str(status["uri"]),
        uri=str(status["uri"]),
        url=str(status.get("url") or status["uri"]),
        text=text,
        link=str(shared.get("url") or shared.get("uri")) if shared else str(card.get("url", "")),
        published_at=parse_date(status.get("created_at")),
        tags=tuple(
            dict.fromkeys(
                [clean_tag(str(t.get("name", ""))) for t in status.get("tags") or []]
                + list(hashtags(text))
            )
        ),
        lang=str(status.get("language") or ""),
        content_warning=str(status.get("spoiler_text") or ""),
        is_reply=bool(status.get("in_reply_to_id")) and str(replying_to) != account_id,
        is_repost=shared is not None,
        repost_of=str(shared.get("url") or shared.get("uri")) if shared else "",
        images=images,
        card_title=str(card.get("title", "")),
        card_description=str(card.get("description", "")),
        author=str((status.get("account") or {}).get("acct", "")),
    )
