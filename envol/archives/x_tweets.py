"""Turn raw archive tweets (and long-post notes) into `Tweet` records.

The archive keeps X's internal shapes: HTML-escaped text, t.co short links with their expansion
in `entities`, media links inside the text, every number as a string, long posts (note tweets)
truncated in the tweet and kept whole in another file with no explicit link back. This module
undoes all of that, without trusting any field to have the expected type: a wrong shape raises
`ValueError`, which the reader turns into an `ArchiveError` naming the file and record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from envol.archives.x_records import Media, Mention, Tweet

_MONTHS: Final = {
    name: f"{number:02d}"
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_SHORT_LINK = re.compile(r"https?://t\.co/[A-Za-z0-9]+")
_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/status(?:es)?/([0-9]+)"
)
_VIDEO_KINDS: Final = frozenset({"video", "animated_gif"})
_PREFIX_CHARS: Final = 40
_T = TypeVar("_T")


# --- typed access to untrusted values -------------------------------------------------------


def text_of(value: Any) -> str:
    """A string field; absent → empty; anything else is a malformed record."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise ValueError(f"expected text, got {type(value).__name__}")


def id_of(value: Any) -> str:
    """An id, written by X as a string of digits (some old archives use numbers)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        return ""
    raise ValueError(f"expected an id, got {type(value).__name__}")


def mapping_of(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected an object, got {type(value).__name__}")


def list_of(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise ValueError(f"expected a list, got {type(value).__name__}")


def decode_entities(text: str) -> str:
    """Undo X's escaping of tweet text, which is exactly `&`, `<` and `>` (`&amp;` last).

    Every `&` typed by a user is stored as `&amp;`, so decoding these three is the exact inverse;
    `html.unescape` gives the same result on such text but is seven times slower.
    """
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_tweet_date(value: Any) -> datetime:
    """`Sat Feb 18 12:33:11 +0000 2023` → aware UTC datetime. Rewritten as ISO 8601 for
    `datetime.fromisoformat` (C): strptime is 10× slower, building it from its parts 3×."""
    parts = text_of(value).split()
    if len(parts) != 6 or len(parts[4]) != 5:
        raise ValueError(f"unexpected date {value!r}")
    _weekday, month, day, clock, offset, year = parts
    moment = datetime.fromisoformat(f"{year}-{_MONTHS[month]}-{day.zfill(2)}T{clock}{offset}")
    return moment if offset == "+0000" else moment.astimezone(UTC)


def parse_iso_date(value: Any) -> datetime | None:
    """`2023-02-18T12:33:11.000Z` → aware UTC datetime; absent → None."""
    raw = text_of(value)
    if not raw:
        return None
    moment = datetime.fromisoformat(raw)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- links -------------------------------------------------------------------------------------


def quoted_status(url: str) -> str:
    """The tweet id a status URL points to, if it is a quote (not X's `i/web` self-link)."""
    match = _STATUS_URL.match(url)
    if match is None or match.group(1) == "i":
        return ""
    return match.group(2)


def is_self_link(url: str) -> bool:
    """X's `…/i/web/status/<id>` link closing a truncated long post."""
    return "/i/web/status/" in url


def replace_short_links(text: str, replacements: Mapping[str, str]) -> str:
    """Swap every known t.co link in one pass (no prefix clashes between short codes)."""
    if not replacements or "t.co/" not in text:
        return text
    return _SHORT_LINK.sub(lambda found: replacements.get(found[0], found[0]), text)


# --- long posts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Note:
    """A long post from note-tweet.js, decoded, waiting to be joined to its truncated tweet."""

    id: str
    tweet_id: str
    second: int
    text: str
    urls: tuple[str, ...]
    mentions: tuple[Mention, ...]
    hashtags: tuple[str, ...]


def parse_note(element: Any) -> Note:
    raw = mapping_of(element)
    note = mapping_of(raw.get("noteTweet", raw))
    core = mapping_of(note.get("core") or note.get("noteTweetResults"))
    created = parse_iso_date(note.get("createdAt"))
    urls: dict[str, str] = {}
    for item in list_of(core.get("urls")):
        link = mapping_of(item)
        short = text_of(link.get("shortUrl") or link.get("url"))
        expanded = text_of(link.get("expandedUrl") or link.get("expanded_url")) or short
        if expanded:
            urls[short or expanded] = expanded
    text = replace_short_links(decode_entities(text_of(core.get("text"))), urls)
    mentions = tuple(
        Mention(
            id_of(mapping_of(m).get("id_str") or mapping_of(m).get("id")),
            text_of(mapping_of(m).get("screenName") or mapping_of(m).get("screen_name")),
        )
        for m in list_of(core.get("mentions"))
    )
    hashtags = tuple(text_of(mapping_of(h).get("text")) for h in list_of(core.get("hashtags")))
    return Note(
        id=id_of(note.get("noteTweetId")),
        tweet_id=id_of(note.get("tweetId")),
        second=int(created.timestamp()) if created else -1,
        text=text,
        urls=tuple(urls.values()),
        mentions=mentions,
        hashtags=hashtags,
    )


@dataclass(slots=True)
class NoteIndex:
    """Notes by explicit tweet id and by creation second; one pass marks which got joined."""

    by_tweet_id: dict[str, Note] = field(default_factory=dict)
    by_second: dict[int, list[Note]] = field(default_factory=dict)
    joined: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        """Distinct notes: X may list one twice (an edited post, a second part file), and a
        repeat must not count as a long post left without its tweet."""
        return len(self.seen)

    def add(self, note: Note) -> None:
        if note.id in self.seen:
            return
        self.seen.add(note.id)
        if note.tweet_id:
            self.by_tweet_id[note.tweet_id] = note
        else:
            self.by_second.setdefault(note.second, []).append(note)

    def find(self, tweet_id: str, second: int, visible_text: str) -> Note | None:
        """The note of a truncated tweet: same second and the tweet's text starts the note."""
        note = self.by_tweet_id.get(tweet_id)
        if note is None:
            candidates = self.by_second.get(second)
            if not candidates:
                return None
            head = _visible_head(visible_text)
            if not head:
                return None
            note = next(
                (n for n in candidates if n.id not in self.joined and n.text.startswith(head)),
                None,
            )
            if note is None:
                return None
        self.joined.add(note.id)
        return note

    @property
    def unjoined(self) -> int:
        return self.total - len(self.joined)


def _visible_head(decoded_text: str) -> str:
    """The start of a truncated tweet's text, before the ellipsis and links X appended."""
    head = decoded_text.split("…", 1)[0]
    head = _SHORT_LINK.split(head, 1)[0]
    return head.strip()[:_PREFIX_CHARS]


# --- tweets --------------------------------------------------------------------------------------


def _media_basename(item: Mapping[str, Any]) -> str:
    """The name X gives the downloaded file: the last path segment of the best media URL."""
    url = text_of(item.get("media_url_https") or item.get("media_url"))
    if item.get("type") in _VIDEO_KINDS:
        video = mapping_of(item.get("video_info"))
        variants = [mapping_of(v) for v in list_of(video.get("variants"))]
        mp4 = [v for v in variants if v.get("content_type") == "video/mp4" and v.get("url")]
        if mp4:
            best = max(mp4, key=lambda v: _bitrate(v.get("bitrate")))
            url = text_of(best.get("url"))
    return url.split("?", 1)[0].rsplit("/", 1)[-1]


def _bitrate(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


@dataclass(frozen=True, slots=True)
class TweetContext:
    """What normalising a tweet needs to know about the archive around it."""

    media_files: frozenset[str]
    notes: NoteIndex | None


# Why the code below reads as it does: it runs on every one of an archive's hundreds of
# thousands of tweets, and its cost was measured field by field (bench/archive_import.py).
# Each value is checked by class first, inline — the common, well-formed case costs one
# comparison — and only an unexpected value goes through the checking helpers above, which
# accept what they accepted before (None, numbers as ids) or raise `ValueError`.


def _media(
    tweet_id: str, items: list[Any], replacements: dict[str, str], files: frozenset[str]
) -> tuple[Media, ...]:
    media: list[Media] = []
    for position, item in enumerate(items):
        entry = item if item.__class__ is dict else mapping_of(item)
        short = entry.get("url")
        if short:
            replacements[text_of(short)] = ""
        file_name = f"{tweet_id}-{_media_basename(entry)}"
        kind = entry.get("type")
        alt = entry.get("ext_alt_text") or entry.get("alt_text")
        url = entry.get("media_url_https") or entry.get("media_url")
        media.append(
            Media(
                position,
                kind if kind.__class__ is str and kind else text_of(kind) or "photo",
                file_name,
                file_name in files,
                alt if alt.__class__ is str else text_of(alt),
                url if url.__class__ is str else text_of(url),
            )
        )
    return tuple(media)


def _mentions(items: list[Any]) -> list[Mention]:
    mentions = []
    for item in items:
        mention = item if item.__class__ is dict else mapping_of(item)
        user_id = mention.get("id_str") or mention.get("id")
        name = mention.get("screen_name")
        mentions.append(
            Mention(
                user_id if user_id.__class__ is str else id_of(user_id),
                name if name.__class__ is str else text_of(name),
            )
        )
    return mentions


def _list(value: Any) -> list[Any]:
    return value if value.__class__ is list else list_of(value)


def _hashtag(item: Any) -> str:
    text = (item if item.__class__ is dict else mapping_of(item)).get("text")
    return text if text.__class__ is str else text_of(text)


def _first_id(tweet: Mapping[str, Any], as_text: str, as_number: str) -> str:
    """`in_reply_to_…_str`, else `in_reply_to_…` (older archives), checked as ids."""
    value = tweet.get(as_text)
    if value.__class__ is str and value:
        return value
    other = tweet.get(as_number)
    if value is None and other is None:
        return ""
    return id_of(value) or id_of(other)


def normalise_tweet(element: Any, context: TweetContext) -> Tweet:
    """One archive tweet (wrapped as {"tweet": …} or bare) → `Tweet`."""
    raw = element if element.__class__ is dict else mapping_of(element)
    tweet = raw.get("tweet", raw)
    if tweet.__class__ is not dict:
        tweet = mapping_of(tweet)
    get = tweet.get
    tweet_id = get("id_str") or get("id")
    if tweet_id.__class__ is not str:
        tweet_id = id_of(tweet_id)
    if not tweet_id:
        raise ValueError("tweet without id")
    created_at = parse_tweet_date(get("created_at"))
    raw_text = get("full_text") or get("text")
    if raw_text.__class__ is not str:
        raw_text = text_of(raw_text)
    decoded = decode_entities(raw_text)
    entities = get("entities")
    if entities.__class__ is not dict:
        entities = mapping_of(entities)

    replacements: dict[str, str] = {}
    expanded_urls: list[str] = []
    links = entities.get("urls")
    if links is not None:
        for item in links if links.__class__ is list else list_of(links):
            link = item if item.__class__ is dict else mapping_of(item)
            short = link.get("url")
            if short.__class__ is not str:
                short = text_of(short)
            expanded = link.get("expanded_url")
            if expanded.__class__ is not str or not expanded:
                expanded = text_of(expanded) or short
            if short:
                replacements[short] = expanded
            if expanded:
                expanded_urls.append(expanded)

    extended = get("extended_entities")
    if extended.__class__ is not dict:
        extended = mapping_of(extended)
    media_items = _list(extended.get("media")) or _list(entities.get("media"))
    media = _media(tweet_id, media_items, replacements, context.media_files) if media_items else ()
    mentioned = _list(entities.get("user_mentions"))
    mentions = _mentions(mentioned) if mentioned else []
    tagged = _list(entities.get("hashtags"))
    hashtags = [_hashtag(h) for h in tagged] if tagged else []

    note = None
    if context.notes is not None:
        note = context.notes.find(tweet_id, int(created_at.timestamp()), decoded)
    if note is None:
        text = replace_short_links(decoded, replacements)
    else:
        text = replace_short_links(note.text, {k: v for k, v in replacements.items() if not v})
        expanded_urls = _unique(
            [u for u in expanded_urls if not is_self_link(u)] + list(note.urls), str
        )
        mentions = _unique(mentions + list(note.mentions), lambda m: m.username.lower())
        hashtags = _unique(hashtags + list(note.hashtags), str.lower)

    if media:
        text = text.strip()
    quoted_url = next((u for u in expanded_urls if quoted_status(u)), "") if expanded_urls else ""
    lang = get("lang")
    reply_to_username = get("in_reply_to_screen_name")
    return Tweet(
        tweet_id,
        created_at,
        text,
        lang if lang.__class__ is str else text_of(lang),
        raw_text.startswith("RT @") or "retweeted_status" in tweet,
        _first_id(tweet, "in_reply_to_status_id_str", "in_reply_to_status_id"),
        _first_id(tweet, "in_reply_to_user_id_str", "in_reply_to_user_id"),
        reply_to_username if reply_to_username.__class__ is str else text_of(reply_to_username),
        quoted_status(quoted_url) if quoted_url else "",
        quoted_url,
        tuple(mentions),
        tuple(hashtags),
        tuple(expanded_urls),
        media,
        note is not None,
    )


def _unique(items: Iterable[_T], key: Callable[[_T], object]) -> list[_T]:
    seen: set[object] = set()
    kept: list[_T] = []
    for item in items:
        marker = key(item)
        if marker not in seen:
            seen.add(marker)
            kept.append(item)
    return kept
