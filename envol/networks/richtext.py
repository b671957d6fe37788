"""A post written for X, as Bluesky posts: links, mentions and hashtags as facets, long texts
split into a self-thread.

What X text needs on the way (the archive already expanded every t.co link):
- links are shown shortened, as the Bluesky app shows them (host and the start of the path),
  with a link facet to the full URL: an expanded URL counts in full against 300 graphemes, and a
  tweet of 280 characters with two long links would otherwise not fit;
- an X mention is an X username, which means nothing on Bluesky: it becomes a mention facet only
  for an account the caller vouches for (an accepted match of the crosswalk), written with that
  account's Bluesky handle; every other `@name` stays plain text — never a facet to a guess;
- hashtags become tag facets, detected as the Bluesky app detects them;
- a text still longer than one post is cut by `text.split_thread` (paragraphs, sentences,
  words; never inside a link, a mention or a tag) and the facets follow their part.
Pure: no network, no Django.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import regex

from envol.networks import facets as facet_rules
from envol.networks import text as text_rules

SHORT_PATH = 15  # longer paths are cut to 13 characters and an ellipsis (the Bluesky app's rule)
# An X mention: `@` and 1–15 letters, digits or underscores, not glued to a word or an address.
_X_MENTION = regex.compile(
    r"(?<![\p{L}\p{N}_@＠.])[@＠](?P<name>[A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@])"
)


@dataclass(frozen=True)
class MentionTarget:
    """The Bluesky account an X username stands for (an accepted match)."""

    did: str
    handle: str = ""  # written in place of the X name when it is a valid handle


@dataclass(frozen=True)
class RichPart:
    """One post: its text and its `app.bsky.richtext.facet` records."""

    text: str
    facets: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class _Span:
    kind: facet_rules.FacetKind
    start: int
    end: int
    value: str  # the full URI; the mention's DID


def short_url(url: str) -> str:
    """How the Bluesky app displays a link: `host/path` cut after 13 characters of path."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url
    path = "" if parts.path == "/" else parts.path
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    host = parts.netloc.rsplit("@", 1)[-1]
    if len(path) > SHORT_PATH:
        return f"{host}{path[:13]}…"
    return host + path


def remove_url(text: str, url: str) -> str:
    """The text without its last occurrence of `url` (a quoted post shown as an embed)."""
    at = text.rfind(url)
    if at < 0 or not url:
        return text
    return (text[:at].rstrip() + " " + text[at + len(url) :].lstrip()).strip()


def _rewrite(text: str, mentions: Mapping[str, MentionTarget]) -> tuple[str, list[_Span]]:
    """Links shortened, matched mentions rewritten to their handle; the spans in the new text."""
    found: list[tuple[int, int, facet_rules.FacetKind, str]] = []  # start, end, kind, value
    found += [(s, e, "link", uri) for s, e, uri in text_rules.bluesky_links(text)]
    for match in _X_MENTION.finditer(text):
        target = mentions.get(match.group("name").lower())
        if target is not None and target.did.startswith("did:"):
            found.append((match.start(), match.end(), "mention", match.group("name")))
    out: list[str] = []
    spans: list[_Span] = []
    position = length = 0
    last_end = -1
    for start, end, kind, value in sorted(found):
        if start < last_end:
            continue  # an address inside a link, a link glued to a mention: the first wins
        out.append(text[position:start])
        length += start - position
        if kind == "link":
            shown, target_value = short_url(value), value
        else:
            target = mentions[value.lower()]
            handle = target.handle if text_rules.is_valid_handle(target.handle) else ""
            shown, target_value = f"@{handle or value}", target.did
        spans.append(_Span(kind, length, length + len(shown), target_value))
        out.append(shown)
        length += len(shown)
        position = last_end = end
    out.append(text[position:])
    return "".join(out), spans


def _part_facets(part: str, spans: Sequence[_Span]) -> list[dict[str, object]]:
    """Facets of one part: the spans that fall in it, then its hashtags; none overlapping."""
    found: list[tuple[int, int, facet_rules.FacetKind, str]] = [
        (s.start, s.end, s.kind, s.value) for s in spans
    ]
    for start, end, tag in text_rules.bluesky_tags(part):
        if all(end <= s.start or start >= s.end for s in spans):
            found.append((start, end, "tag", tag))
    offsets = facet_rules.byte_offsets(part)
    return facet_rules.records(
        [
            facet_rules.Facet(kind, offsets[start], offsets[end], value)
            for start, end, kind, value in sorted(found)
        ]
    )


def bluesky_parts(
    text: str,
    *,
    mentions: Mapping[str, MentionTarget] | None = None,
    drop_urls: Collection[str] = (),
    rules: text_rules.TextRules | None = None,
) -> list[RichPart]:
    """`text` (written for X, links expanded) as one Bluesky post, or a self-thread when longer
    than one post allows. `mentions`: X username (lower case) → the account it stands for;
    `drop_urls`: links to leave out (a quoted post that becomes an embed).
    Raises `text.TextTooLong` only if one word alone exceeds a post (no link can: they are
    shortened)."""
    rules = rules or text_rules.TextRules.bluesky()
    for url in drop_urls:
        text = remove_url(text, url)
    rewritten, spans = _rewrite(text, {k.lower(): v for k, v in (mentions or {}).items()})
    if text_rules.fits(rewritten, rules):
        pieces = [rewritten]
        starts = [0]
    else:
        pieces = text_rules.split_thread(rewritten, rules)
        starts, cursor = [], 0
        for piece in pieces:
            at = rewritten.find(piece, cursor)
            starts.append(at)
            cursor = at + len(piece)
    parts: list[RichPart] = []
    for piece, start in zip(pieces, starts, strict=True):
        end = start + len(piece)
        inside = [
            _Span(s.kind, s.start - start, s.end - start, s.value)
            for s in spans
            if start <= s.start and s.end <= end  # a span across a cut is dropped, never moved
        ]
        parts.append(RichPart(piece, _part_facets(piece, inside)))
    return parts
