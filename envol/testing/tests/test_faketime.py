"""`pytest --clock`: the instants each scenario starts every test at (the next ones, always in
the future, so that the offset to the real clock stays positive)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from envol.testing.faketime import PARIS, clock_start


@pytest.mark.parametrize(
    ("scenario", "now", "expected"),
    [
        ("new-year", datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, 59)),
        ("new-year", datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, 23, 59, 59)),
        ("last-hour", datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 31, 23, 0, 0)),
        ("paris-evening", datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 31, 22, 30)),
        ("dst-spring", datetime(2026, 12, 2, tzinfo=UTC), datetime(2027, 3, 28, 0, 59, 59)),
        ("dst-autumn", datetime(2026, 12, 2, tzinfo=UTC), datetime(2027, 10, 31, 0, 59, 59)),
        ("dst-autumn", datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 10, 25, 0, 59, 59)),
    ],
)
def test_scenarios_start_just_before_the_change(
    scenario: str, now: datetime, expected: datetime
) -> None:
    start = clock_start(scenario, now)
    assert start == expected.replace(tzinfo=UTC)
    if scenario.startswith("dst"):  # two seconds later, Paris has changed hour
        later = datetime.fromtimestamp(start.timestamp() + 2, UTC).astimezone(PARIS)
        assert start.astimezone(PARIS).utcoffset() != later.utcoffset()
    if scenario == "paris-evening":  # an hour later, Paris is in the next day and year
        later = datetime.fromtimestamp(start.timestamp() + 3600, UTC).astimezone(PARIS)
        assert (later.year, later.month, later.day) == (start.year + 1, 1, 1)


def test_an_instant_needs_its_offset() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert clock_start("2026-12-31T23:00:00+00:00", now) == datetime(2026, 12, 31, 23, tzinfo=UTC)
    with pytest.raises(pytest.UsageError):
        clock_start("2026-12-31T23:00:00", now)
