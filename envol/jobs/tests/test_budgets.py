"""The per-account budget: shared by the jobs of one account, reservations counted before the
call and given back when nothing landed, the server's headers merged, and the published limits
lifted (also from the stored state) when a job says the server has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from envol.jobs.budgets import AccountBudgets
from envol.jobs.models import AccountBudget, BudgetReservation
from envol.networks.ratelimit import (
    BLUESKY_WRITE_POLICIES,
    RateBudget,
    RateObservation,
    WindowPolicy,
)

from .conftest import Clock

pytestmark = pytest.mark.django_db
POLICIES = {"write": BLUESKY_WRITE_POLICIES}  # 5,000 points an hour, 35,000 a day


def budgets(clock: Clock, account: int = 7, *, published: bool = True) -> AccountBudgets:
    return AccountBudgets(account, POLICIES, clock=clock, published=published)


def test_two_jobs_of_one_account_draw_on_one_budget(clock: Clock) -> None:
    follows, history = budgets(clock), budgets(clock)  # e.g. a follow and a history migration
    assert follows.reserve("migration:1", {"write": 3000})
    assert history.view("write").available() == 2000
    assert not history.reserve("history:1", {"write": 2001})  # nothing counted when refused
    assert history.reserve("history:1", {"write": 2000})
    assert follows.view("write").plan(3, 200).items == 0
    assert budgets(clock, account=8).view("write").available() == 5000  # another account's


def test_a_reservation_that_never_landed_is_given_back_to_its_windows_only(
    clock: Clock,
) -> None:
    mine = budgets(clock)
    assert mine.reserve("migration:1", {"write": 600})
    assert mine.reserved("migration:1") == {"write": 600}
    mine.release("migration:1", {"write": 450})  # 150 of the batch's points did land
    assert mine.view("write").available() == 5000 - 150
    assert mine.reserved("migration:1") == {}
    assert mine.reserve("migration:2", {"write": 600})
    clock.advance(hours=1, seconds=2)  # the hourly window rolled over, the daily one did not
    mine.release("migration:2")
    stored = AccountBudget.objects.get(account_id=7, action="write").windows
    assert [w["used"] for w in stored] == [0, 150]


def test_points_are_counted_before_the_call_and_settling_keeps_them(clock: Clock) -> None:
    mine = budgets(clock)
    assert mine.reserve("migration:1", {"write": 600})
    mine.settle("migration:1")
    mine.release("migration:1")  # nothing open any more: nothing given back
    assert mine.view("write").available() == 4400
    assert not BudgetReservation.objects.exists()


def test_the_servers_headers_win_where_they_count_more(clock: Clock) -> None:
    mine = budgets(clock)
    assert mine.reserve("migration:1", {"write": 600})
    told = RateBudget(BLUESKY_WRITE_POLICIES, clock=clock)
    told.observe(
        RateObservation(
            limit=5000, remaining=1000, reset_at=clock() + timedelta(minutes=30), window_s=3600
        )
    )
    mine.learn("write", told)
    hourly = mine.view("write")
    assert hourly.available() == 1000
    assert hourly.ready_at(3000) == clock() + timedelta(minutes=30, seconds=1)
    fewer = RateBudget(BLUESKY_WRITE_POLICIES, clock=clock)
    fewer.observe(
        RateObservation(
            limit=5000, remaining=4900, reset_at=clock() + timedelta(minutes=30), window_s=3600
        )
    )
    mine.learn("write", fewer)  # a stale answer never lowers the count
    assert mine.view("write").available() == 1000


def test_published_limits_off_ignores_the_published_windows_even_stored_ones(
    clock: Clock,
) -> None:
    published = budgets(clock)
    assert published.reserve("migration:1", {"write": 4998})
    published.settle("migration:1")
    own_server = budgets(clock, published=False)
    assert own_server.view("write").available() > 10**9  # only what the server announces
    assert own_server.reserve("migration:2", {"write": 600})
    told = RateBudget([WindowPolicy(1000, 300)], clock=clock)
    soon = clock() + timedelta(seconds=300)
    told.observe(RateObservation(limit=1000, remaining=10, reset_at=soon))
    own_server.learn("write", told)
    assert own_server.view("write").available() == 10  # the server's own limit applies
    assert published.view("write").available() == 0  # every spend was still counted


def test_old_reservations_are_forgotten(clock: Clock) -> None:
    mine = budgets(clock)
    assert mine.reserve("migration:1", {"write": 3})
    clock.advance(days=3)
    assert mine.reserve("migration:2", {"write": 3})
    assert list(BudgetReservation.objects.values_list("key", flat=True)) == ["migration:2"]


def test_the_clock_decides_when_windows_reset() -> None:
    at_midnight = Clock(datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC))
    mine = budgets(at_midnight)
    assert mine.reserve("migration:1", {"write": 5000})
    assert mine.view("write").available() == 0
    at_midnight.advance(hours=1, seconds=1)
    assert mine.view("write").available() == 5000
