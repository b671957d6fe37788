"""How long a follow migration takes at a network's published limits, before it starts.

Why a simulation and not a division: limits are several fixed windows at once (Bluesky: 5,000
points an hour AND 35,000 a day), batches are whole, and a budget already partly spent delays the
first batch. Driving the same `RateBudget.plan` the job uses, on a virtual clock, gives the figure
the job will actually reach. Pure Python: no Django, no network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from envol.networks.ratelimit import (
    BLUESKY_WRITE_COSTS,
    BLUESKY_WRITE_POLICIES,
    MASTODON_POLICIES,
    RateBudget,
    WindowPolicy,
)

BLUESKY_BATCH = 200
MASTODON_BATCH = 40  # relationships are read 40 at a time
CALL_LATENCY_S = 0.3  # one applyWrites of 200 on a PDS, measured (notes/bluesky-pds.md)


@dataclass(frozen=True)
class Limit:
    """One budget an item draws on: `per_item` points per follow, `per_batch` per call batch."""

    policies: Sequence[WindowPolicy]
    per_item: int
    per_batch: int = 0


@dataclass(frozen=True)
class NetworkPace:
    limits: Sequence[Limit]
    max_batch: int
    seconds_per_batch: float


BLUESKY_PACE = NetworkPace(
    limits=(Limit(BLUESKY_WRITE_POLICIES, BLUESKY_WRITE_COSTS["create"]),),
    max_batch=BLUESKY_BATCH,
    seconds_per_batch=CALL_LATENCY_S,
)
# Mastodon: one follow call per account plus one relationships call per batch, within
# 300 requests / 5 min; and 400 follows / 24 h.
MASTODON_PACE = NetworkPace(
    limits=(
        Limit(MASTODON_POLICIES["follow"], 1),
        Limit(MASTODON_POLICIES["request"], 1, per_batch=1),
    ),
    max_batch=MASTODON_BATCH,
    seconds_per_batch=MASTODON_BATCH * 0.1,
)


def batch_size(plans: Sequence[tuple[int, int, int]], max_batch: int) -> int:
    """The most items one batch can hold when each budget has `available` points and an item
    costs `per_item` (+ `per_batch` once): entries are (available, per_item, per_batch)."""
    size = max_batch
    for available, per_item, per_batch in plans:
        size = min(size, max((available - per_batch) // per_item, 0) if per_item else size)
    return size


def seconds_to_follow(count: int, pace: NetworkPace, *, start: datetime | None = None) -> float:
    """Seconds to send `count` follows from fresh budgets, batch by batch, waiting out windows."""
    if count <= 0:
        return 0.0
    began = start or datetime(2030, 1, 1, tzinfo=UTC)
    now = began
    budgets = [(RateBudget(limit.policies, clock=lambda: now), limit) for limit in pace.limits]
    left = count
    while left > 0:
        size = batch_size(
            [(b.available(), lim.per_item, lim.per_batch) for b, lim in budgets],
            min(pace.max_batch, left),
        )
        if size == 0:
            now = max(b.ready_at(lim.per_item + lim.per_batch) for b, lim in budgets)
            continue
        for budget, limit in budgets:
            budget.spend(size * limit.per_item + limit.per_batch)
        left -= size
        now += timedelta(seconds=pace.seconds_per_batch)
    return math.ceil((now - began).total_seconds())
