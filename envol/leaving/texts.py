"""The announcement kit's texts, generated from what the organisation has (its name, its
channels, its public page) in French or English, then cut to each network's rules.

Cross-network references are written as profile URLs, never as @handles: "@ville.fr" on X
would mention an unrelated X user, and a URL counts the same fixed weight everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from envol.leaving.text_rules import rules_for

PART_SEPARATOR = "---"
"""A line holding only this, in an edited text, forces a new post of the thread there."""

KINDS = ("x_post", "x_bio", "bluesky", "mastodon")


@dataclass(frozen=True)
class Channel:
    network: str  # bluesky, mastodon, linkedin, newsletter, website…
    label: str  # shown to people: "Bluesky", "Lettre d'information"
    handle: str  # "@ville.fr", "@ville@social.example", or a name
    url: str


@dataclass(frozen=True)
class OrgFacts:
    """Everything the texts are made of; built by `services.org_facts`."""

    name: str
    page_url: str
    channels: Sequence[Channel]


@dataclass(frozen=True)
class CheckedPart:
    text: str
    count: int
    limit: int

    @property
    def fits(self) -> bool:
        return self.count <= self.limit


def generate(facts: OrgFacts, lang: str) -> dict[str, str]:
    """kind → full text (before any split), in `lang`."""
    with translation.override(lang):
        return {
            "x_post": _x_post(facts),
            "x_bio": _x_bio(facts),
            "bluesky": _first_post(facts, "bluesky"),
            "mastodon": _first_post(facts, "mastodon"),
        }


def _lines(channels: Sequence[Channel]) -> str:
    colon = "\u00a0:" if translation.get_language() == "fr" else ":"
    return "\n".join(f"{c.label}{colon} {c.url}" for c in channels)


def _all_addresses(facts: OrgFacts) -> str:
    return _("All our addresses: %(url)s") % {"url": facts.page_url}


def _x_post(facts: OrgFacts) -> str:
    paragraphs = [
        _("%(name)s no longer posts on X.") % {"name": facts.name},
        _(
            "We keep this account so that nobody can take our name, but our news is now "
            "published elsewhere:"
        ),
    ]
    if facts.channels:
        paragraphs.append(_lines(facts.channels))
    paragraphs.append(_all_addresses(facts))
    return "\n\n".join(paragraphs)


def _x_bio(facts: OrgFacts) -> str:
    """The longest bio line that fits X's 160 characters: with network names, then without."""
    names = list(dict.fromkeys(c.label for c in facts.channels if c.network in NETWORK_NAMES))
    candidates = []
    if names:
        listed = _join(names)
        candidates.append(
            _("We are now on %(networks)s: %(url)s") % {"networks": listed, "url": facts.page_url}
        )
    candidates.append(_("We have moved: %(url)s") % {"url": facts.page_url})
    rules = rules_for("x_bio")
    return next((c for c in candidates if rules.count(c) <= rules.limit), candidates[-1])


NETWORK_NAMES = {"bluesky", "mastodon", "peertube", "linkedin", "youtube"}


def _join(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _first_post(facts: OrgFacts, network: str) -> str:
    if network == "bluesky":
        hello = _("Hello Bluesky! %(name)s is now here.") % {"name": facts.name}
    else:
        hello = _("Hello Fediverse! %(name)s is now here.") % {"name": facts.name}
    paragraphs = [hello, _("We will publish our news here, and we read your replies.")]
    elsewhere = [c for c in facts.channels if c.network != network]
    if elsewhere:
        paragraphs.append(_("You can also find us on:") + "\n" + _lines(elsewhere))
    paragraphs.append(_all_addresses(facts))
    if network == "mastodon":
        paragraphs.append(_("#introduction"))
    return "\n\n".join(paragraphs)


def split(kind: str, text: str) -> list[str]:
    """The posts of `text` for `kind`: explicit `---` boundaries first, then the network's split."""
    if kind == "x_bio":  # a profile field: never a thread
        return [text.strip()]
    rules = rules_for(kind)
    chunks = [c.strip() for c in re.split(r"(?m)^\s*---\s*$", text)]
    parts: list[str] = []
    for chunk in chunks:
        if chunk:
            parts.extend(rules.split(chunk))
    return parts


def check(kind: str, parts: Sequence[str]) -> list[CheckedPart]:
    rules = rules_for(kind)
    return [CheckedPart(text=p, count=rules.count(p), limit=rules.limit) for p in parts]
