"""How long a status is, counted the way Mastodon's StatusLengthValidator counts it.

docs: user/posting#text ("all links count as 23 characters") and methods/instance
(configuration.statuses.characters_reserved_per_url);
source: app/validators/status_length_validator.rb.
Written independently of envol.networks.text on purpose: the two implementations check each other.

The count is the number of extended grapheme clusters of ``spoiler_text + countable(text)``, where
``countable`` replaces every URL by 23 placeholder characters and every ``@user@domain``
mention by ``@user``. A whitespace-only text counts as empty (Ruby's ``blank?``). The spoiler is
counted as typed: URLs and mentions in it get no concession.

The URL grammar is twitter-text's as Mastodon redefines it (config/initializers/twitter_regex.rb:
http(s), dat, dweb, ipfs, ipns, ssb, gopher, and gemini in recent versions), simplified: a scheme,
a host with at least one dot (or ``localhost``), an optional port and path; trailing punctuation is
not part of the URL, nor a closing parenthesis without an opening partner inside the URL. Unlike
twitter-text, top-level domains are not checked against the IANA list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

URL_PLACEHOLDER_CHARS = 23

_URL = re.compile(
    r"(?<![^\W_])(?<![@$#＠＃])"  # twitter-text: no letter, digit, @, $ or # right before
    r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://"
    r"(?:localhost|(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_][\w-]*)"  # host with a top-level label
    r"(?::\d+)?"
    r"(?:[/?#][^\s<>\"]*)?",
    re.IGNORECASE,
)
_URL_TRAILING_PUNCTUATION = ".,:;!?'\"…"
_MENTION = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?",
    re.IGNORECASE,
)
_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True)
class _Entity:
    start: int
    end: int
    replacement: str


def countable_length(text: str, spoiler_text: str = "") -> int:
    """The number Mastodon compares with ``configuration.statuses.max_characters``."""
    return grapheme_count(spoiler_text + countable_text(text))


def grapheme_count(value: str) -> int:
    return len(_GRAPHEME.findall(value))


def countable_text(text: str) -> str:
    """The text with URLs shortened to the placeholder and mentions stripped of their domain."""
    if not text.strip():
        return ""
    entities = _without_overlaps([*_urls(text), *_mentions(text)])
    pieces: list[str] = []
    cursor = 0
    for entity in entities:
        pieces.append(text[cursor : entity.start])
        pieces.append(entity.replacement)
        cursor = entity.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _urls(text: str) -> list[_Entity]:
    found = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        found.append(_Entity(match.start(), match.start() + len(url), "x" * URL_PLACEHOLDER_CHARS))
    return found


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        unbalanced = last == ")" and url.count("(") < url.count(")")
        if last in _URL_TRAILING_PUNCTUATION or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def _mentions(text: str) -> list[_Entity]:
    return [_Entity(m.start(), m.end(), "@" + m.group(1)) for m in _MENTION.finditer(text)]


def _without_overlaps(entities: list[_Entity]) -> list[_Entity]:
    """Keep the earliest entity where two overlap, like Extractor.remove_overlapping_entities."""
    kept: list[_Entity] = []
    for entity in sorted(entities, key=lambda e: (e.start, -e.end)):
        if kept and entity.start < kept[-1].end:
            continue
        kept.append(entity)
    return kept
