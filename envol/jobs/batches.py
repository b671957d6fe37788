"""What every job that sends items in batches within a rate budget shares (the follow migration,
the history migration): how big the next batch may be, when a spent budget frees up, and which
keys of a batch left `sent` by a crash landed.

Bluesky's `applyWrites` is one commit: a batch landed whole or not at all, so the first and the
last keys of a batch tell for all of it — two lookups instead of one per item. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from envol.networks.ratelimit import RateBudget

T = TypeVar("T")


@dataclass(frozen=True)
class Batch:
    """`size` items fit in the budget now; when 0, not before `not_before`."""

    size: int
    not_before: datetime


def ready_at(budget: RateBudget, points: int) -> datetime:
    """When `points` can be spent; a window smaller than that (a limit learned from headers)
    is waited out whole."""
    try:
        return budget.ready_at(points)
    except ValueError:
        smallest = min(policy.limit for policy in budget.policies())
        return budget.ready_at(max(min(points, smallest), 1))


@dataclass(frozen=True)
class Landing(Generic[T]):
    """Which keys of a batch were written (`landed`), and what was read for those looked up."""

    landed: frozenset[str]
    found: Mapping[str, T]


def landed(keys: Sequence[str], lookup: Callable[[str], T | None]) -> Landing[T]:
    """Which of the keys of ONE batch sent in one commit (in the order sent) were written:
    the two ends decide for all when they agree; otherwise (which one commit makes unlikely)
    every key is looked up."""
    if not keys:
        return Landing(frozenset(), {})
    read = {key: lookup(key) for key in dict.fromkeys((keys[0], keys[-1]))}
    if any(found is None for found in read.values()) and any(
        found is not None for found in read.values()
    ):
        read.update({key: lookup(key) for key in keys if key not in read})
    elif all(found is not None for found in read.values()):
        return Landing(frozenset(keys), {k: v for k, v in read.items() if v is not None})
    return Landing(
        frozenset(k for k in keys if read.get(k) is not None),
        {k: v for k, v in read.items() if v is not None},
    )
