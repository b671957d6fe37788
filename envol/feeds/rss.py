"""RSS and Atom feeds (a website's news) with `feedparser`, fetched conditionally.

The feed is fetched with the validators of the last answer (ETag, Last-Modified): a 304 ends
the poll without parsing anything. `feedparser` only ever gets the bytes read here, never a URL
(it would fetch it itself, around the guard).
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from envol.feeds.fetch import SourceClient
from envol.feeds.html import html_to_text
from envol.feeds.items import Polled, SourceError, SourceImage, SourceItem, clean_tag, item_key

FEED_TYPES = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
MAX_IMAGES = 4


def poll_feed(client: SourceClient, url: str, state: dict[str, Any]) -> Polled:
    """Read the feed at `url` if it changed since `state` (its `etag`, `last_modified`)."""
    fetched = client.get(
        url,
        etag=str(state.get("etag", "")),
        last_modified=str(state.get("last_modified", "")),
        accept=FEED_TYPES,
    )
    if fetched.not_modified:
        return Polled([], dict(state), changed=False)
    items = parse_feed(fetched.body, fetched.content_type)
    next_state = {**state, "etag": fetched.etag, "last_modified": fetched.last_modified}
    return Polled(items, next_state)


def parse_feed(body: bytes, content_type: str = "") -> list[SourceItem]:
    """The feed's items, oldest first. Raises SourceError when the bytes are not a feed."""
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers)
    if parsed.bozo and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise SourceError("unreadable", f"This is not an RSS or Atom feed ({problem}).")
    language = str(parsed.feed.get("language", "") or "")
    author = html_to_text(str(parsed.feed.get("title", "") or ""))
    items = [_item(entry, language, author) for entry in parsed.entries]
    items.sort(key=lambda item: item.published_at or datetime.min.replace(tzinfo=UTC))
    return items


def _item(entry: Any, feed_language: str, author: str) -> SourceItem:
    title = html_to_text(str(entry.get("title", "") or ""))
    link = str(entry.get("link", "") or "")
    published = _date(entry.get("published_parsed") or entry.get("updated_parsed"))
    summary = _summary(entry)
    return SourceItem(
        key=item_key(
            str(entry.get("id", "") or ""),
            link,
            fallback=(title, published.isoformat() if published else ""),
        ),
        url=link,
        title=title,
        text=summary,
        link=link,
        published_at=published,
        tags=_tags(entry),
        lang=_language(entry) or feed_language,
        images=_images(entry),
        card_title=title,
        card_description=summary[:300],
        author=author,
    )


def _tags(entry: Any) -> tuple[str, ...]:
    found = (clean_tag(str(tag.get("term") or "")) for tag in entry.get("tags", []) or [])
    return tuple(dict.fromkeys(tag for tag in found if tag))


def _summary(entry: Any) -> str:
    """The summary, else the first HTML content (feedparser also files a media:description
    under `content`, as plain text: that one is an image's, not the article's)."""
    summary = str(entry.get("summary", "") or "")
    if summary:
        return html_to_text(summary)
    for content in entry.get("content", []) or []:
        if "html" in str(content.get("type", "")):
            return html_to_text(str(content.get("value", "") or ""))
    return ""


def _language(entry: Any) -> str:
    for detail in (entry.get("summary_detail"), entry.get("title_detail")):
        if detail and detail.get("language"):
            return str(detail["language"])
    return ""


def _date(parsed: time.struct_time | None) -> datetime | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def _images(entry: Any) -> tuple[SourceImage, ...]:
    """Enclosures and media:content of an image type, with the alt text the feed gave: a
    media:description, which feedparser files under `content` as plain text, in order (most
    feeds give none: the relay then lets the title stand in, flagged)."""
    descriptions = [
        html_to_text(str(c.get("value", "") or ""))
        for c in entry.get("content", []) or []
        if c.get("type") == "text/plain"
    ]
    found: dict[str, SourceImage] = {}
    for media in entry.get("media_content", []) or []:
        url, mime = str(media.get("url", "") or ""), str(media.get("type", "") or "")
        if url and (media.get("medium") == "image" or mime.startswith("image/")):
            alt = descriptions.pop(0) if descriptions else ""
            found.setdefault(url, SourceImage(url, alt, mime))
    for link in entry.get("links", []) or []:
        url, mime = str(link.get("href", "") or ""), str(link.get("type", "") or "")
        if url and link.get("rel") == "enclosure" and mime in IMAGE_TYPES:
            found.setdefault(url, SourceImage(url, "", mime))
    return tuple(found.values())[:MAX_IMAGES]
