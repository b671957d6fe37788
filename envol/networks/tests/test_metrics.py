"""The kinds table: every platform has one, reach is never exact where the platform has none."""

from __future__ import annotations

import pytest

from envol.networks.kinds import kinds_for
from envol.networks.metrics import Metric, MetricKind, MetricKinds, Platform


@pytest.mark.parametrize("platform", list(Platform))
def test_every_platform_has_a_kinds_table(platform: Platform) -> None:
    kinds = kinds_for(platform)
    assert kinds.measured(), platform
    for metric in kinds.views:
        assert kinds.kind(metric) == MetricKind.EXACT


@pytest.mark.parametrize("platform", [Platform.BLUESKY, Platform.MASTODON])
def test_bluesky_and_mastodon_have_no_views_and_clicks_are_proxies(platform: Platform) -> None:
    kinds = kinds_for(platform)
    for metric in (Metric.VIEWS, Metric.IMPRESSIONS, Metric.REACH):
        assert kinds.kind(metric) == MetricKind.ABSENT
    assert kinds.kind(Metric.CLICKS) == MetricKind.PROXY
    assert "short links" in kinds.note(Metric.CLICKS)
    assert kinds.views == ()


def test_x_and_linkedin_count_impressions_as_views() -> None:
    assert kinds_for("x").views == (Metric.IMPRESSIONS,)
    assert kinds_for("linkedin").views == (Metric.IMPRESSIONS,)
    assert kinds_for("facebook").views[0] == Metric.VIEWS


def test_a_metric_cannot_be_both_exact_and_proxy() -> None:
    with pytest.raises(ValueError, match="exact and a proxy"):
        MetricKinds(exact=frozenset({Metric.LIKES}), proxy=frozenset({Metric.LIKES}))
