"""Mastodon's rate limits: fixed windows per account (or IP), a clock tests can move.

docs: api/rate-limits. 300 requests / 5 min per account and per IP; media uploads 30 / 30 min;
status deletions 30 / 30 min. Source: config/initializers/rack_attack.rb (throttles counted before
the request reaches the controller; every request counts, even a refused one) and
app/lib/rate_limiter.rb (the "families" counted only when a follow or a status is really created:
follows 400 / 24 h, statuses 300 / 3 h). Windows are aligned on multiples of their period since the
epoch, as both implementations do, so ``X-RateLimit-Reset`` is the end of the current window.
Deviation: real Mastodon never throttles requests from 127.0.0.1; this server does, since it stands
in for a remote instance.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    limit: int
    period: int  # seconds


DEFAULT_BUDGETS: dict[str, Budget] = {
    "api": Budget(300, 5 * 60),  # every authenticated request, per account
    "unauthenticated_api": Budget(300, 5 * 60),  # per IP
    "media": Budget(30, 30 * 60),  # POST /api/v1/media, /api/v2/media
    "deletes": Budget(30, 30 * 60),  # DELETE /api/v1/statuses/:id, POST …/unreblog
    "follows": Budget(400, 24 * 3600),  # follows and follow requests really created
    "statuses": Budget(300, 3 * 3600),  # statuses really created
}


class Clock:
    """Wall-clock time plus an offset that tests advance instead of sleeping. With `start`
    (epoch seconds) the clock begins at that moment instead and runs from there, so that a test
    gets the same windows whatever the hour it runs at (windows align on the epoch)."""

    def __init__(self, start: float | None = None) -> None:
        self._offset = 0.0 if start is None else start - time.time()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def utcnow(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now(), tz=dt.UTC)


@dataclass(frozen=True)
class Window:
    """One budget's state for one account or IP in the current window."""

    limit: int
    count: int
    reset_at: float

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": iso8601_micro(self.reset_at),
        }


def iso8601_micro(epoch: float) -> str:
    """Ruby's ``Time#iso8601(6)`` in UTC: ``2024-01-01T00:05:00.000000Z``."""
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RateLimiter:
    """Counters per (budget, who, window); thread-safe; budgets changeable at run time."""

    def __init__(self, clock: Clock, budgets: dict[str, Budget] | None = None) -> None:
        self._clock = clock
        self._budgets = dict(budgets or DEFAULT_BUDGETS)
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def set_budget(self, name: str, limit: int, period: int | None = None) -> None:
        if name not in self._budgets:
            raise KeyError(f"unknown budget {name!r}; known: {sorted(self._budgets)}")
        current = self._budgets[name]
        self._budgets[name] = Budget(limit, period if period is not None else current.period)

    def budget(self, name: str) -> Budget:
        return self._budgets[name]

    def hit(self, name: str, who: str) -> Window:
        """Count one use and return the window after it (``exceeded`` when over the limit)."""
        return self._change(name, who, +1)

    def rollback(self, name: str, who: str) -> Window:
        return self._change(name, who, -1)

    def peek(self, name: str, who: str) -> Window:
        return self._change(name, who, 0)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def _change(self, name: str, who: str, delta: int) -> Window:
        budget = self._budgets[name]
        index = int(self._clock.now() // budget.period)
        with self._lock:
            window_index, count = self._counts.get((name, who), (index, 0))
            if window_index != index:
                count = 0  # a new window began: the old count no longer matters
            count = max(count + delta, 0)
            if delta:
                self._counts[(name, who)] = (index, count)
        return Window(budget.limit, count, (index + 1) * budget.period)
