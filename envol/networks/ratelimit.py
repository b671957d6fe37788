"""The rate model: how many writes an account may make now, and when the next window opens.

Why: a follow migration must run at the network's ceiling and never past it (Bluesky's moderation
watches bulk follows; every 429 still costs points on the PDS). Networks publish their limits and
repeat them in response headers; this module turns both into a `RateBudget` per account and action
that callers query *before* a call ("how many items can this batch hold?") instead of learning from
a 429.

Model: fixed windows that open on the first spend, as the Bluesky PDS (rate-limiter-flexible) and
Mastodon (rack-attack) count. A budget holds one window per policy (Bluesky writes: 5,000 points an
hour AND 35,000 a day); what is spendable is the smallest remainder. Server headers, when they
arrive, override the local count of the window they describe.

Pure and deterministic: the clock is injected; states serialise to plain dicts so a job can park
with its budget and resume in another process.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WindowPolicy:
    """`limit` points per `window_s` seconds."""

    limit: int
    window_s: int

    @classmethod
    def parse(cls, text: str) -> WindowPolicy | None:
        """A `ratelimit-policy` value, `"5000;w=3600"` → WindowPolicy(5000, 3600)."""
        match = re.fullmatch(r"\s*(\d+)\s*;\s*w\s*=\s*(\d+)\s*(?:;.*)?", text or "")
        if match is None:
            return None
        return cls(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class RateObservation:
    """What one response's headers said about one window."""

    limit: int
    remaining: int
    reset_at: datetime
    window_s: int | None = None  # known when the server sends a policy


# --- published limits (for planning before the first response) ---------------------------------

BLUESKY_WRITE_POLICIES = (WindowPolicy(5000, 3600), WindowPolicy(35000, 86400))
BLUESKY_WRITE_COSTS = {"create": 3, "update": 2, "delete": 1}
BLUESKY_SESSION_POLICIES = (WindowPolicy(30, 300), WindowPolicy(300, 86400))
BLUESKY_REQUEST_POLICIES = (WindowPolicy(3000, 300),)

MASTODON_POLICIES: dict[str, tuple[WindowPolicy, ...]] = {
    "request": (WindowPolicy(300, 300),),
    "follow": (WindowPolicy(400, 86400),),
    "media": (WindowPolicy(30, 1800),),
    "delete": (WindowPolicy(30, 1800),),
    "status": (WindowPolicy(300, 10800),),
}

# Reset times in headers are whole seconds rounded down: wait this much past them.
RESET_MARGIN_S = 1.0


# --- headers ----------------------------------------------------------------------------------


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def bluesky_observation(headers: Mapping[str, str]) -> RateObservation | None:
    """`ratelimit-limit|remaining|reset (epoch s)|policy` → an observation (None when absent)."""
    h = _lower(headers)
    limit, remaining, reset = (
        _int(h.get(f"ratelimit-{k}")) for k in ("limit", "remaining", "reset")
    )
    if limit is None or remaining is None or reset is None:
        return None
    policy = WindowPolicy.parse(h.get("ratelimit-policy", ""))
    return RateObservation(
        limit=limit,
        remaining=remaining,
        reset_at=datetime.fromtimestamp(reset, UTC),
        window_s=policy.window_s if policy else None,
    )


def mastodon_observation(headers: Mapping[str, str]) -> RateObservation | None:
    """`X-RateLimit-Limit|Remaining|Reset` (ISO-8601; epoch seconds tolerated) → an observation."""
    h = _lower(headers)
    limit, remaining = _int(h.get("x-ratelimit-limit")), _int(h.get("x-ratelimit-remaining"))
    reset_text = h.get("x-ratelimit-reset", "").strip()
    if limit is None or remaining is None or not reset_text:
        return None
    reset_at = parse_reset(reset_text)
    if reset_at is None:
        return None
    return RateObservation(limit=limit, remaining=remaining, reset_at=reset_at)


def parse_reset(text: str) -> datetime | None:
    """An ISO-8601 timestamp or epoch seconds → an aware UTC datetime."""
    epoch = _int(text)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- budgets ----------------------------------------------------------------------------------


@dataclass
class _Window:
    policy: WindowPolicy
    used: int = 0
    resets_at: datetime | None = None  # None: not open; the next spend opens it
    observed: bool = False  # described by the server's headers (not only the published policy)

    def roll(self, now: datetime) -> None:
        if self.resets_at is not None and now >= self.resets_at:
            self.used, self.resets_at = 0, None

    @property
    def remaining(self) -> int:
        return max(self.policy.limit - self.used, 0)


@dataclass(frozen=True)
class BatchPlan:
    """`items` can be sent now; when 0, nothing can be sent before `not_before`."""

    items: int
    not_before: datetime


class RateBudget:
    """The points one account may spend on one action, across fixed windows."""

    def __init__(
        self,
        policies: Iterable[WindowPolicy],
        *,
        clock: Clock = utc_now,
        margin_s: float = RESET_MARGIN_S,
    ) -> None:
        self._clock = clock
        self._margin = timedelta(seconds=margin_s)
        self._windows = [_Window(policy) for policy in policies]

    def _now(self) -> datetime:
        now = self._clock()
        for window in self._windows:
            window.roll(now)
        return now

    def available(self) -> int:
        """Points spendable right now (the tightest window decides)."""
        self._now()
        return min((w.remaining for w in self._windows), default=1 << 62)

    def ready_at(self, points: int) -> datetime:
        """The earliest moment `points` can be spent (now when they can)."""
        now = self._now()
        short = [w for w in self._windows if w.remaining < points]
        if any(w.policy.limit < points for w in short):
            raise ValueError(f"{points} points exceed a window's whole limit.")
        if not short:
            return now
        return max(w.resets_at or now for w in short)

    def plan(self, cost: int, max_items: int) -> BatchPlan:
        """How many items of `cost` points fit now (≤ max_items), else when the next one does."""
        items = min(max_items, self.available() // cost)
        if items > 0:
            return BatchPlan(items, self._clock())
        return BatchPlan(0, self.ready_at(cost))

    def spend(self, points: int) -> None:
        """Count `points` as spent (before the call: a crash then under-uses, never over-uses)."""
        now = self._now()
        for window in self._windows:
            if window.resets_at is None:
                window.resets_at = now + timedelta(seconds=window.policy.window_s) + self._margin
            window.used += points

    def observe(self, observation: RateObservation) -> None:
        """Let the server's count of one window override ours (other clients spend too)."""
        now = self._now()
        window = self._match(observation, now)
        window.policy = WindowPolicy(observation.limit, window.policy.window_s)
        window.used = max(observation.limit - observation.remaining, 0)
        window.resets_at = observation.reset_at + self._margin
        window.observed = True

    def _match(self, observation: RateObservation, now: datetime) -> _Window:
        for window in self._windows:
            if observation.window_s is not None and window.policy.window_s == observation.window_s:
                return window
        if observation.window_s is None:
            for window in self._windows:
                if window.policy.limit == observation.limit:
                    return window
        window_s = observation.window_s or max(
            math.ceil((observation.reset_at - now).total_seconds()), 1
        )
        window = _Window(WindowPolicy(observation.limit, window_s))
        self._windows.append(window)
        return window

    def policies(self) -> list[WindowPolicy]:
        return [w.policy for w in self._windows]

    def to_state(self) -> list[dict[str, Any]]:
        """A JSON-ready snapshot, to store and restore in another process. `observed` marks
        the windows the server's headers described."""
        return [
            {
                "limit": w.policy.limit,
                "window_s": w.policy.window_s,
                "used": w.used,
                "resets_at": w.resets_at.isoformat() if w.resets_at else None,
                **({"observed": True} if w.observed else {}),
            }
            for w in self._windows
        ]

    @classmethod
    def from_state(
        cls, state: Sequence[Mapping[str, Any]], *, clock: Clock = utc_now
    ) -> RateBudget:
        budget = cls((), clock=clock)
        for item in state:
            resets_at = item.get("resets_at")
            budget._windows.append(
                _Window(
                    WindowPolicy(int(item["limit"]), int(item["window_s"])),
                    used=int(item["used"]),
                    resets_at=datetime.fromisoformat(resets_at) if resets_at else None,
                    observed=bool(item.get("observed", False)),
                )
            )
        return budget


class RateTracker:
    """The budgets of one account, one per action, created from the published policies."""

    def __init__(
        self, defaults: Mapping[str, Sequence[WindowPolicy]], *, clock: Clock = utc_now
    ) -> None:
        self._defaults = dict(defaults)
        self._clock = clock
        self._budgets: dict[str, RateBudget] = {}

    def budget(self, action: str) -> RateBudget:
        if action not in self._budgets:
            self._budgets[action] = RateBudget(self._defaults.get(action, ()), clock=self._clock)
        return self._budgets[action]

    def restore(self, action: str, state: Sequence[Mapping[str, Any]]) -> None:
        self._budgets[action] = RateBudget.from_state(state, clock=self._clock)


def bluesky_tracker(clock: Clock = utc_now) -> RateTracker:
    """Actions: `write` (points: see BLUESKY_WRITE_COSTS), `session`, `request`."""
    return RateTracker(
        {
            "write": BLUESKY_WRITE_POLICIES,
            "session": BLUESKY_SESSION_POLICIES,
            "request": BLUESKY_REQUEST_POLICIES,
        },
        clock=clock,
    )


def mastodon_tracker(clock: Clock = utc_now) -> RateTracker:
    """Actions: `request`, `follow`, `media`, `delete`, `status` (one point per call)."""
    return RateTracker(MASTODON_POLICIES, clock=clock)


# --- offline planning: a simulated run against a limiter that counts like the PDS ---------------


class SimulatedLimiter:
    """A server-side limiter written independently of `RateBudget`: per-policy fixed windows
    opened by the first hit, rejected hits still counted (as rate-limiter-flexible does), headers
    of the tightest window with the reset rounded down to the second."""

    def __init__(self, policies: Sequence[WindowPolicy]) -> None:
        self._policies = list(policies)
        self._opened: list[float | None] = [None] * len(policies)
        self._counts = [0] * len(policies)

    def hit(self, points: int, at: float) -> tuple[bool, dict[str, str]]:
        status: list[tuple[int, float, WindowPolicy]] = []
        allowed = True
        for i, policy in enumerate(self._policies):
            opened = self._opened[i]
            if opened is None or at >= opened + policy.window_s:
                self._opened[i], self._counts[i] = at, 0
                opened = at
            self._counts[i] += points
            allowed &= self._counts[i] <= policy.limit
            status.append((policy.limit - self._counts[i], opened + policy.window_s, policy))
        remaining, reset, policy = min(status, key=lambda s: s[0])
        return allowed, {
            "ratelimit-limit": str(policy.limit),
            "ratelimit-remaining": str(max(remaining, 0)),
            "ratelimit-reset": str(math.floor(reset)),
            "ratelimit-policy": f"{policy.limit};w={policy.window_s}",
        }


@dataclass(frozen=True)
class SimulationResult:
    items_sent: int
    calls: int
    rejected_calls: int
    points_used: int
    points_allowed: int  # the most the policies allow over the run (the tightest decides)

    @property
    def share_used(self) -> float:
        return self.points_used / self.points_allowed


def simulate_bulk_writes(
    *,
    hours: float = 48.0,
    policies: Sequence[WindowPolicy] = BLUESKY_WRITE_POLICIES,
    cost: int = BLUESKY_WRITE_COSTS["create"],
    max_batch: int = 200,
    call_latency_s: float = 0.3,
    start_epoch: float = 1_800_000_000.4,
    planner_policies: Sequence[WindowPolicy] | None = None,
) -> SimulationResult:
    """Drive `RateBudget.plan` against `SimulatedLimiter` for `hours` with an endless backlog,
    batch by batch, jumping the clock to `not_before` when the budget is spent. The planner
    believes `planner_policies` (default: the server's own) until headers tell it otherwise."""
    clock_s = start_epoch
    budget = RateBudget(
        policies if planner_policies is None else planner_policies,
        clock=lambda: datetime.fromtimestamp(clock_s, UTC),
    )
    server = SimulatedLimiter(policies)
    end = start_epoch + hours * 3600
    items = calls = rejected = points = 0
    while clock_s < end:
        plan = budget.plan(cost, max_batch)
        if plan.items == 0:
            clock_s = max(clock_s, plan.not_before.timestamp())
            continue
        budget.spend(plan.items * cost)
        ok, headers = server.hit(plan.items * cost, clock_s)
        calls += 1
        if ok:
            items += plan.items
            points += plan.items * cost
        else:
            rejected += 1
        observation = bluesky_observation(headers)
        if observation is not None:
            budget.observe(observation)
        clock_s += call_latency_s
    allowed = min(p.limit * math.ceil(hours * 3600 / p.window_s) for p in policies)
    return SimulationResult(items, calls, rejected, points, allowed)
