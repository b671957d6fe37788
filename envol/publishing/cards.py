"""A link's card (title, description, image), read from the page's Open Graph tags.

The page is an address a member typed: it is fetched through the one guarded transport
(`networks/ssrf.py`, configured by `envol/outbound.py`), capped in size and time, and its text
is untrusted (kept short, escaped wherever shown). Cards are cached an hour per address, so a
live preview does not fetch a page at every key pressed. The image of a card is fetched only
when the post is published, through the same guard.
"""

from __future__ import annotations

import hashlib
import logging
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.core.cache import cache

from envol import outbound
from envol.networks import ssrf

log = logging.getLogger(__name__)

PAGE_MAX_BYTES = 512 * 1024
THUMB_MAX_BYTES = 1_000_000  # Bluesky's blob limit for a card's image
TIMEOUT_S = 5.0
CACHE_S = 3600
TITLE_MAX, DESCRIPTION_MAX = 300, 1000


class _OpenGraph(HTMLParser):
    """`og:*` meta tags, the `<title>` and the description meta, until `</head>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            found = dict(attrs)
            name = (found.get("property") or found.get("name") or "").lower()
            if name and found.get("content") and name not in self.meta:
                self.meta[name] = str(found["content"]).strip()
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done:
            self.title += data


def parse_card(url: str, html: str) -> dict[str, Any]:
    """The card of a page: its Open Graph title, description and image (absolute http(s))."""
    parser = _OpenGraph()
    parser.feed(html)
    meta = parser.meta
    title = meta.get("og:title") or meta.get("twitter:title") or parser.title.strip()
    description = meta.get("og:description") or meta.get("description") or ""
    image = meta.get("og:image") or meta.get("twitter:image") or ""
    image = urljoin(url, image) if image else ""
    if urlsplit(image).scheme not in ("http", "https"):
        image = ""
    return {
        "url": url,
        "title": " ".join(title.split())[:TITLE_MAX],
        "description": " ".join(description.split())[:DESCRIPTION_MAX],
        "image": image,
    }


def fetch_card(url: str) -> dict[str, Any]:
    """The card of `url`, or `{"url", "error"}` saying why there is none (never raises)."""
    key = "desk:card:" + hashlib.sha256(url.encode()).hexdigest()
    found = cache.get(key)
    if found is not None:
        return dict(found)
    try:
        result = ssrf.fetch(
            url, policy=outbound.fetch_policy(timeout_s=TIMEOUT_S, max_bytes=PAGE_MAX_BYTES)
        )
    except (ssrf.SsrfRefused, ssrf.FetchFailed) as exc:
        card: dict[str, Any] = {"url": url, "error": str(exc)[:300]}
    else:
        if result.status >= 400 or "html" not in result.content_type.lower():
            card = {"url": url, "error": f"HTTP {result.status} {result.content_type[:60]}"}
        else:
            card = parse_card(result.url, result.body.decode("utf-8", errors="replace"))
            card["url"] = url
    cache.set(key, card, CACHE_S)
    return card


def fetch_thumb(card: dict[str, Any]) -> tuple[bytes, str] | None:
    """The card's image for Bluesky (bytes, type), or None: a card without image still works."""
    image = str(card.get("image") or "")
    if not image:
        return None
    try:
        result = ssrf.fetch(
            image, policy=outbound.fetch_policy(timeout_s=TIMEOUT_S, max_bytes=THUMB_MAX_BYTES)
        )
    except (ssrf.SsrfRefused, ssrf.FetchFailed) as exc:
        log.info("card image of %s not fetched: %s", card.get("url"), exc)
        return None
    mime = result.content_type.split(";")[0].strip().lower()
    if result.status >= 400 or mime not in ("image/jpeg", "image/png", "image/webp", "image/gif"):
        return None
    return result.body, mime
