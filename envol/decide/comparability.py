"""Which figures may be compared across networks, and which may not — as data, so that the ROI
page, the report and the method page say the same thing.

Impressions on X or LinkedIn (times a post was shown on a screen) are not reach on Mastodon
(which measures none), nor YouTube's or TikTok's views (plays, each by its own rule). A
comparison holds only inside one group below; each network's figure outside every group of the
networks shown is said not to compare. Pure Python."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Group:
    figure: str
    networks: frozenset[str]
    meaning: str | Promise


GROUPS: tuple[Group, ...] = (
    Group(
        "views",
        frozenset({"x", "linkedin"}),
        _("impressions: times a post was shown on a screen"),
    ),
    Group(
        "views",
        frozenset({"facebook", "instagram"}),
        _("Meta's views: times a post was shown or played (same definition on both)"),
    ),
    Group(
        "interactions",
        frozenset(
            {"bluesky", "mastodon", "x", "facebook", "instagram", "linkedin", "youtube", "tiktok"}
        ),
        _("likes + comments + shares: every network gives these three counts"),
    ),
    Group(
        "clicks",
        frozenset(),  # filled at run time: the networks whose clicks come from short links
        _("clicks on your own short links: the same counter everywhere, bots excluded"),
    ),
    Group(
        "followers_gained",
        frozenset(
            {"bluesky", "mastodon", "x", "facebook", "instagram", "linkedin", "youtube", "tiktok"}
        ),
        _("followers gained: comparable as counts (not as the audience they represent)"),
    ),
)

NOT_COMPARABLE: dict[str, str | Promise] = {
    "views": _(
        "YouTube and TikTok views are plays counted by each platform's own rule; Bluesky, "
        "Mastodon, Threads, newsletters and websites give no views in envol at all."
    ),
    "engagements": _(
        "Each platform defines its engagements differently (X and LinkedIn include clicks): "
        "compare interactions instead."
    ),
    "clicks": _(
        "A platform's own link clicks and short-link clicks are different counters: compare "
        "like with like."
    ),
}


@dataclass(frozen=True)
class Statement:
    figure: str
    networks: list[str]
    meaning: str | Promise
    holds: bool


def statements(networks: Iterable[str], short_link_networks: Iterable[str]) -> list[Statement]:
    """For the networks shown: each comparison that holds (two networks or more in a group),
    then why the rest do not."""
    shown = list(networks)
    proxies = set(short_link_networks)
    found: list[Statement] = []
    for group in GROUPS:
        members = proxies if group.figure == "clicks" else group.networks
        inside = [n for n in shown if n in members]
        if len(inside) >= 2:
            found.append(Statement(group.figure, inside, group.meaning, True))
    for figure, why in NOT_COMPARABLE.items():
        found.append(Statement(figure, [], why, False))
    return found
