"""Stand-in for `envol.networks.text` until that module lands (same names: `TextRules`,
`count`, `split_thread`). Deliberately small; delete it once the networks layer has the rules."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

_URL = regex.compile(r"https?://\S+")
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


@dataclass(frozen=True)
class TextRules:
    limit: int
    weighted: bool  # X: code points weigh 1 or 2; others count graphemes
    url_weight: int | None  # None: URLs count as written

    @classmethod
    def x(cls) -> TextRules:
        return cls(limit=280, weighted=True, url_weight=23)

    @classmethod
    def bluesky(cls) -> TextRules:
        return cls(limit=300, weighted=False, url_weight=None)

    @classmethod
    def mastodon(cls) -> TextRules:
        return cls(limit=500, weighted=False, url_weight=23)


def count(text: str, rules: TextRules) -> int:
    text = unicodedata.normalize("NFC", text)
    total = 0
    if rules.url_weight is not None:
        total += rules.url_weight * len(_URL.findall(text))
        text = _URL.sub("", text)
    if rules.weighted:
        return total + sum(1 if any(lo <= ord(c) <= hi for lo, hi in _X_LIGHT) else 2 for c in text)
    return total + len(regex.findall(r"\X", text))


def split_thread(text: str, rules: TextRules) -> list[str]:
    """Paragraphs, then lines, then sentences, then words, packed greedily under the limit."""
    pieces: list[tuple[str, str]] = []  # (separator before, text)
    for paragraph in text.split("\n\n"):
        _pieces(paragraph, "\n\n", ["\n", "sentence", " "], rules, pieces)
    parts: list[str] = []
    for separator, piece in pieces:
        if parts and count(parts[-1] + separator + piece, rules) <= rules.limit:
            parts[-1] = parts[-1] + separator + piece
        else:
            parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


def _pieces(
    text: str, separator: str, finer: list[str], rules: TextRules, out: list[tuple[str, str]]
) -> None:
    if count(text, rules) <= rules.limit or not finer:
        out.append((separator, text))
        return
    how, rest = finer[0], finer[1:]
    chunks = regex.split(r"(?<=[.!?…])\s+", text) if how == "sentence" else text.split(how)
    joiner = " " if how == "sentence" else how
    for i, chunk in enumerate(chunks):
        _pieces(chunk, separator if i == 0 else joiner, rest, rules, out)
