"""The networks a team can spend time on: the platforms envol measures, plus Threads, the
newsletter and the website, which envol does not measure but which cost hours all the same.

Pure Python: the CLI, the CSV import and the kinds of each figure read it."""

from __future__ import annotations

from envol.networks.kinds import kinds_for
from envol.networks.metrics import Metric, MetricKind, MetricKinds, Platform

NETWORK_CODES: tuple[str, ...] = (
    "bluesky",
    "mastodon",
    "x",
    "facebook",
    "instagram",
    "linkedin",
    "youtube",
    "tiktok",
    "threads",
    "newsletter",
    "website",
)
ORDER = {code: index for index, code in enumerate(NETWORK_CODES)}

NOTHING_MEASURED = MetricKinds(exact=frozenset())
"""Threads, the newsletter, the website: envol reads no figure of them (every metric absent),
except the clicks of the organisation's own short links posted there."""


def kinds_of(network: str) -> MetricKinds:
    """The kinds table of any network: the platform's, or 'nothing measured'."""
    try:
        return kinds_for(Platform(network))
    except ValueError:
        return NOTHING_MEASURED


def measured_platform(network: str) -> bool:
    return network in {p.value for p in Platform}


def kind_of(network: str, metric: Metric | str) -> MetricKind:
    return kinds_of(network).kind(metric)
