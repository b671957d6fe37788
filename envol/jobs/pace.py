"""How long a batch job takes at a network's limits, before it starts: shared by the follow
migration and the history migration (and whatever job sends items within a rate budget next).

Why a simulation and not a division: limits are several fixed windows at once (Bluesky: 5,000
points an hour AND 35,000 a day), batches are whole, a budget already partly spent delays the
first batch, and another job of the same account spends the same budget. Driving the same
`RateBudget` the jobs use, on a virtual clock, gives the figure the job will actually reach.
Pure Python: no Django, no network.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from envol.networks.ratelimit import RateBudget, WindowPolicy

VIRTUAL_START = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limit:
    """One budget an item draws on: `per_item` points per item, `per_batch` per call batch;
    `action` names the account's stored budget it is (`jobs.budgets`)."""

    policies: Sequence[WindowPolicy]
    per_item: int
    per_batch: int = 0
    action: str = "write"


@dataclass(frozen=True)
class NetworkPace:
    limits: Sequence[Limit]
    max_batch: int
    seconds_per_batch: float


def batch_size(plans: Sequence[tuple[int, int, int]], max_batch: int) -> int:
    """The most items one batch can hold when each budget has `available` points and an item
    costs `per_item` (+ `per_batch` once): entries are (available, per_item, per_batch)."""
    size = max_batch
    for available, per_item, per_batch in plans:
        size = min(size, max((available - per_batch) // per_item, 0) if per_item else size)
    return size


def seconds_to_send(
    count: int,
    pace: NetworkPace,
    *,
    start: datetime | None = None,
    spent: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    alongside: int = 0,
) -> float:
    """Seconds until `count` items are sent, batch by batch, waiting out the windows.

    `spent`: the account's budgets as they stand (`RateBudget.to_state()` per action, their
    resets in `start`'s time), else fresh. `alongside`: items another job of the same account
    still has to send with the same costs; the runner gives the account's jobs one batch each
    in turn, so both draw on the budget until the shorter one ends."""
    if count <= 0:
        return 0.0
    began = start or VIRTUAL_START
    now = began
    budgets = []
    for limit in pace.limits:
        state = (spent or {}).get(limit.action)
        budget = (
            RateBudget.from_state(state, clock=lambda: now)
            if state
            else RateBudget(limit.policies, clock=lambda: now)
        )
        budgets.append((budget, limit))
    queues = [count, alongside]  # ours first, then the other job's: turns alternate
    turn = 0
    while queues[0] > 0:
        if queues[turn] <= 0:
            turn = 1 - turn
            continue
        size = batch_size(
            [(b.available(), lim.per_item, lim.per_batch) for b, lim in budgets],
            min(pace.max_batch, queues[turn]),
        )
        if size == 0:
            now = max(b.ready_at(lim.per_item + lim.per_batch) for b, lim in budgets)
            continue
        for budget, limit in budgets:
            budget.spend(size * limit.per_item + limit.per_batch)
        queues[turn] -= size
        now += timedelta(seconds=pace.seconds_per_batch)
        turn = 1 - turn
    return math.ceil((now - began).total_seconds())
