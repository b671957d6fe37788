"""What every source reader gives: items with stable keys, and the state to poll from next."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_KEY_LENGTH = 400
_HASHTAG = re.compile(r"(?:^|[^\w&/])#(\w{1,100})", re.UNICODE)


class SourceError(Exception):
    """The source could not be read this time. `code` is stable for programs (`timeout`,
    `too_large`, `http_status`, `refused`, `unreadable`, `not_found`, `connection`); the
    message is for people (English: the Django layer shows it as the source's own words)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SourceImage:
    """An image of an item: where to fetch it, and its alternative text as the source gave it
    (empty when it gave none)."""

    url: str
    alt: str = ""
    mime: str = ""


@dataclass(frozen=True)
class SourceItem:
    """One post or article of a source.

    `key` identifies the item forever (a feed's guid, else its link, else a hash of title and
    date; a Bluesky record's AT URI; a Mastodon status's URI): an edit keeps it, so an edited
    item is never a new one. `uri` is the item's id on its network (what envol's own
    publications table records for the posts envol made), empty for feed items.
    """

    key: str
    uri: str = ""
    url: str = ""  # its public web page
    title: str = ""
    text: str = ""  # plain text (HTML turned into text)
    link: str = ""  # the link a relayed post carries (a feed item's article, a card's URL)
    published_at: datetime | None = None
    tags: tuple[str, ...] = ()  # lower case, without "#"
    lang: str = ""
    content_warning: str = ""
    is_reply: bool = False
    is_repost: bool = False
    repost_of: str = ""  # the public URL of what a repost or boost shares
    images: tuple[SourceImage, ...] = ()
    card_title: str = ""
    card_description: str = ""
    author: str = ""


@dataclass(frozen=True)
class Polled:
    """One poll: the items read (oldest first), the state to poll from next time, and whether
    the source changed at all (a 304, an unchanged revision: nothing was parsed)."""

    items: list[SourceItem]
    state: dict[str, Any]
    changed: bool = True
    notes: list[str] = field(default_factory=list)


def item_key(*candidates: str, fallback: tuple[str, ...] = ()) -> str:
    """The first non-empty candidate (a guid, a link), else a hash of `fallback` (title and
    date); a candidate longer than `MAX_KEY_LENGTH` is kept as its hash."""
    for candidate in candidates:
        value = candidate.strip()
        if value:
            return value if len(value) <= MAX_KEY_LENGTH else _digest(value)
    return _digest("\x1f".join(fallback))


def _digest(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def hashtags(text: str) -> tuple[str, ...]:
    """The hashtags written in `text`, lower case, without "#", in order, once each."""
    return tuple(dict.fromkeys(tag.lower() for tag in _HASHTAG.findall(text)))


def clean_tag(value: str) -> str:
    return value.strip().lstrip("#").strip().lower()


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 date of a record or a status ("…Z" included) as an aware datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
