"""The time estimate of a migration at the network's published limits (no network). The state
machines and the claims are the job engine's (envol/jobs/tests)."""

from __future__ import annotations

from envol.migration.planning import BLUESKY_PACE, MASTODON_PACE, seconds_to_follow


def test_time_estimates_follow_the_published_limits() -> None:
    assert seconds_to_follow(0, BLUESKY_PACE) == 0
    assert seconds_to_follow(1000, BLUESKY_PACE) < 60  # within the first hour's 1,666
    two_hours = seconds_to_follow(2000, BLUESKY_PACE)
    assert 3600 <= two_hours < 3700  # the second hour's window
    day = seconds_to_follow(11_666, BLUESKY_PACE)
    assert day < 86400 <= seconds_to_follow(11_667, BLUESKY_PACE)  # 35,000 points a day
    assert 86400 <= seconds_to_follow(401, MASTODON_PACE) < 2 * 86400  # 400 follows a day
