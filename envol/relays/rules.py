"""A relay's rules: which items pass, and the text each target gets.

Pure functions of the relay's settings and an item: the poll, the dry run and the tests use the
same ones. Templates name fields in braces (`{text}`, `{title}`, `{link}`, `{url}`, `{author}`,
`{source}`); they are filled by substitution, never by `str.format` (a template is typed by a
person and must not reach attributes). When the text is longer than one post and the template
carries a link, the text is shortened at a word with "…" so the post stays one post and the
link leads to the rest; otherwise publishing cuts a thread.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from envol.feeds.items import SourceItem, clean_tag
from envol.networks import text as text_rules

REASONS = {
    "echo": _("published by envol itself"),
    "baseline": _("already there when the relay was created"),
    "moved": _("already there when the source moved"),
    "reply": _("a reply"),
    "repost": _("a repost or boost"),
    "not_included": _("none of the wanted hashtags or words"),
    "excluded": _("an excluded hashtag or word"),
    "too_old": _("too old (no burst after an outage)"),
    "empty": _("nothing to publish"),
    "failed": _("could not be handed to publishing"),
}

DEFAULT_TEMPLATES = {
    "rss": "{title}\n\n{link}",
    "bluesky": "{text}\n\n{link}",
    "mastodon": "{text}\n\n{link}",
}
FIELDS = ("text", "title", "link", "url", "author", "source")
ELLIPSIS = "…"
_FIELD = re.compile(r"\{(\w+)\}")
_SEPARATORS = re.compile(r"[\s,;]+")
_BLANKS = re.compile(r"\n{3,}")


def word_list(value: str) -> list[str]:
    """Words or hashtags typed in a rule, separated by spaces, commas or semicolons."""
    return [w for w in (clean_tag(part) for part in _SEPARATORS.split(value)) if w]


def skip_reason(relay: Any, item: SourceItem) -> str:
    """Why the rules skip `item` ("" when it passes): replies, reposts, hashtags, words."""
    if item.is_reply and relay.skip_replies:
        return "reply"
    if item.is_repost and relay.reposts == "skip":
        return "repost"
    tags = set(item.tags)
    haystack = f"{item.title}\n{item.text}".casefold()
    wanted_tags, wanted_words = set(word_list(relay.include_tags)), word_list(relay.include_words)
    if (wanted_tags or wanted_words) and not (
        tags & wanted_tags or any(word in haystack for word in wanted_words)
    ):
        return "not_included"
    if tags & set(word_list(relay.exclude_tags)) or any(
        word in haystack for word in word_list(relay.exclude_words)
    ):
        return "excluded"
    return ""


def too_old(relay: Any, published_at: datetime | None, now: datetime) -> bool:
    return published_at is not None and published_at < now - timedelta(hours=relay.max_age_hours)


def item_data(item: SourceItem) -> dict[str, Any]:
    """What publishing an item needs later, as JSON (kept on the item while it waits)."""
    return {
        "text": item.text,
        "title": item.title,
        "link": item.link or item.url,
        "url": item.url,
        "author": item.author,
        "lang": item.lang,
        "warning": item.content_warning,
        "repost": item.is_repost,
        "images": [{"url": i.url, "alt": i.alt} for i in item.images],
        "card": {"title": item.card_title, "description": item.card_description},
    }


def template_for(relay: Any, target: Any) -> str:
    return str(target.template or DEFAULT_TEMPLATES.get(relay.source_kind, "{text}\n\n{link}"))


def render(template: str, fields: Mapping[str, str]) -> str:
    """The template with its known fields filled; unknown braces stay as typed."""
    filled = _FIELD.sub(lambda m: fields.get(m[1], m[0]), template)
    lines = [line.rstrip() for line in filled.replace("\r\n", "\n").split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def fields_of(data: Mapping[str, Any], source_name: str) -> dict[str, str]:
    text, link = str(data.get("text", "")), str(data.get("link", ""))
    return {
        "text": text,
        "title": str(data.get("title", "")),
        # A link already written in the text is not repeated.
        "link": "" if link and link in text else link,
        "url": str(data.get("url", "")),
        "author": str(data.get("author", "")),
        "source": source_name,
    }


def compose(
    template: str,
    data: Mapping[str, Any],
    source_name: str,
    rules: text_rules.TextRules,
    *,
    overhead: str = "",
    spoiler: str = "",
) -> str:
    """The target's text: the template filled, shortened to one post when it carries a link.
    `overhead` is what the network adds before the text (Bluesky's warning line); `spoiler`
    what it counts with it (Mastodon's content warning)."""
    fields = fields_of(data, source_name)
    if not render(template, fields) and fields["url"]:
        template, fields["link"] = "{link}", fields["url"]
    full = render(template, fields)
    if fits(overhead + full, rules, spoiler) or not fields["link"] or "{link}" not in template:
        return full
    for name in ("text", "title"):
        if f"{{{name}}}" in template and fields[name]:
            shortened = _shorten(template, fields, name, rules, overhead, spoiler)
            if shortened is not None:
                return shortened
    return full


def fits(value: str, rules: text_rules.TextRules, spoiler: str = "") -> bool:
    return text_rules.fits(value, rules, spoiler)


def _shorten(
    template: str,
    fields: dict[str, str],
    name: str,
    rules: text_rules.TextRules,
    overhead: str,
    spoiler: str,
) -> str | None:
    """The longest cut of `fields[name]` (at a word, with "…") that fits, by bisection."""
    original = fields[name]
    low, high, best = 0, len(original), None
    while low <= high:
        middle = (low + high) // 2
        candidate = _cut(original, middle)
        attempt = render(template, {**fields, name: candidate})
        if fits(overhead + attempt, rules, spoiler):
            best, low = attempt, middle + 1
        else:
            high = middle - 1
    return best


def _cut(value: str, length: int) -> str:
    if length >= len(value):
        return value
    if length <= 0:
        return ""
    cut = value[:length]
    if not value[length].isspace() and " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-—–\n") + ELLIPSIS
