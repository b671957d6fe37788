"""The networks' text rules as the announcement kit needs them: a limit, a count, a thread split.

The rules themselves belong to `envol.networks.text`; this module is the one place that adapts
them to this app (and the X bio, which is a 160-character field rather than a post).
"""

from __future__ import annotations

from dataclasses import dataclass

from envol.networks import text as network_text

X_BIO_LIMIT = 160


@dataclass(frozen=True)
class Rules:
    """One network's rules with the limit this use needs."""

    name: str
    limit: int
    counting: network_text.TextRules

    def count(self, text: str) -> int:
        return int(network_text.count(text, self.counting))

    def split(self, text: str) -> list[str]:
        if self.count(text) <= self.limit:
            return [text]
        return list(network_text.split_thread(text, self.counting))


def rules_for(kind: str) -> Rules:
    """`kind` is an announcement kind: x_post, x_bio, bluesky or mastodon."""
    if kind == "x_post":
        x = network_text.TextRules.x()
        return Rules("X", x.limit, x)
    if kind == "x_bio":
        return Rules("X", X_BIO_LIMIT, network_text.TextRules.x())
    if kind == "bluesky":
        bluesky = network_text.TextRules.bluesky()
        return Rules("Bluesky", bluesky.limit, bluesky)
    if kind == "mastodon":
        mastodon = network_text.TextRules.mastodon()
        return Rules("Mastodon", mastodon.limit, mastodon)
    raise ValueError(f"unknown announcement kind {kind!r}")
