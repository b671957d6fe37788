"""The rate model: headers parsed as each network sends them, budgets that plan batches, and a
48-hour simulated bulk follow under Bluesky's published limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from envol.networks.ratelimit import (
    BLUESKY_WRITE_POLICIES,
    RateBudget,
    RateObservation,
    WindowPolicy,
    bluesky_observation,
    bluesky_tracker,
    mastodon_observation,
    simulate_bulk_writes,
)

T0 = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_bluesky_headers_as_the_pds_sends_them() -> None:
    observation = bluesky_observation(
        {
            "ratelimit-limit": "5000",
            "ratelimit-remaining": "4400",
            "ratelimit-reset": "1795000000",
            "ratelimit-policy": "5000;w=3600",
        }
    )
    assert observation == RateObservation(
        5000, 4400, datetime.fromtimestamp(1795000000, UTC), window_s=3600
    )


def test_bluesky_headers_absent_or_broken() -> None:
    assert bluesky_observation({}) is None
    assert bluesky_observation({"ratelimit-limit": "x", "ratelimit-remaining": "1"}) is None


def test_mastodon_headers_iso_reset_any_case() -> None:
    observation = mastodon_observation(
        {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "12",
            "X-RateLimit-Reset": "2026-11-23T10:05:00.000Z",
        }
    )
    assert observation == RateObservation(300, 12, T0 + timedelta(minutes=5))


def test_mastodon_headers_epoch_reset_tolerated() -> None:
    observation = mastodon_observation(
        {
            "x-ratelimit-limit": "300",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": "1795000000",
        }
    )
    assert observation is not None
    assert observation.reset_at == datetime.fromtimestamp(1795000000, UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5000;w=3600", WindowPolicy(5000, 3600)),
        ("30; w=300", WindowPolicy(30, 300)),
        ("3000;w=300;comment=x", WindowPolicy(3000, 300)),
        ("5000", None),
        ("", None),
    ],
)
def test_policy_parsing(text: str, expected: WindowPolicy | None) -> None:
    assert WindowPolicy.parse(text) == expected


def test_budget_spends_across_hour_and_day_windows() -> None:
    clock = FakeClock()
    budget = RateBudget(BLUESKY_WRITE_POLICIES, clock=clock)
    assert budget.plan(cost=3, max_items=200).items == 200
    for _ in range(8):
        budget.spend(600)
    assert budget.available() == 200
    plan = budget.plan(cost=3, max_items=200)
    assert plan.items == 66  # fills the hour instead of waiting with points unspent
    budget.spend(66 * 3)
    plan = budget.plan(cost=3, max_items=200)
    assert plan.items == 0
    assert plan.not_before == T0 + timedelta(hours=1, seconds=1)
    clock.advance(3601)
    assert budget.plan(cost=3, max_items=200).items == 200
    assert budget.available() == 5000  # a fresh hour; the day still has 35000 - 4998
    for _ in range(6):
        budget.spend(5000)
        clock.advance(3601)
    assert budget.available() == 35000 - 4998 - 30000


def test_day_window_binds_after_seven_hours() -> None:
    clock = FakeClock()
    budget = RateBudget(BLUESKY_WRITE_POLICIES, clock=clock)
    for _ in range(7):
        budget.spend(5000)
        clock.advance(3601)
    assert budget.available() == 0
    assert budget.plan(cost=3, max_items=200).not_before == T0 + timedelta(days=1, seconds=1)


def test_server_headers_override_the_local_count() -> None:
    clock = FakeClock()
    budget = RateBudget(BLUESKY_WRITE_POLICIES, clock=clock)
    budget.spend(600)
    # Another client of the same account spent points too: the server knows better.
    budget.observe(RateObservation(5000, 1000, T0 + timedelta(minutes=30), window_s=3600))
    assert budget.available() == 1000
    clock.advance(30 * 60 + 1)
    assert budget.available() == 5000


def test_observation_of_an_unknown_window_is_learned() -> None:
    clock = FakeClock()
    budget = RateBudget([WindowPolicy(300, 300)], clock=clock)
    budget.observe(RateObservation(400, 3, T0 + timedelta(hours=20)))
    assert budget.available() == 3
    assert budget.plan(cost=1, max_items=40).items == 3


def test_budget_state_round_trip() -> None:
    clock = FakeClock()
    budget = RateBudget(BLUESKY_WRITE_POLICIES, clock=clock)
    budget.spend(4800)
    restored = RateBudget.from_state(budget.to_state(), clock=clock)
    assert restored.available() == 200
    assert restored.plan(3, 200) == budget.plan(3, 200)


def test_tracker_has_published_defaults_per_action() -> None:
    tracker = bluesky_tracker(FakeClock())
    assert tracker.budget("write").available() == 5000
    assert tracker.budget("session").available() == 30
    assert tracker.budget("write") is tracker.budget("write")


def test_48_hour_bulk_follow_uses_the_allowance_without_a_429() -> None:
    result = simulate_bulk_writes(hours=48)
    assert result.rejected_calls == 0
    assert result.share_used >= 0.95
    assert result.items_sent == result.points_used // 3
    assert result.calls <= result.items_sent / 150  # batches stay large


def test_the_simulated_server_does_reject_a_planner_that_ignores_the_day() -> None:
    """The simulation can fail: a planner that believes only in the hourly window meets the
    daily one as a 429, learns it from the headers and goes on."""
    result = simulate_bulk_writes(hours=48, planner_policies=[WindowPolicy(5000, 3600)])
    assert result.rejected_calls >= 1
