"""HTML of a feed item or a Mastodon status → plain text for a post.

Paragraphs and line breaks are kept as blank lines and line breaks; scripts, styles and comments
are dropped; entities are decoded. A link's text is kept as written — Mastodon writes the whole
URL inside the anchor, its hidden parts in `<span class="invisible">`, so the text holds the
full address. The result is plain text: whoever shows it escapes it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {"p", "div", "section", "article", "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4",
     "h5", "h6", "pre", "table", "tr", "figure", "figcaption", "header", "footer"}
)  # fmt: skip
_SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt.strip():
                self.parts.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (also fine on text that holds no markup)."""
    if "<" not in html and "&" not in html:
        return _tidy(html)
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return _tidy("".join(collector.parts))


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
