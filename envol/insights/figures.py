"""Reading the insights tables: per-network figures of a set of posts, followers over time, a
channel's posts and daily values. The pages, the CLI's campaign totals and (issue 15) the ROI
and the report read through here, so a figure means the same everywhere.

Rules (docs/architecture.md, "Insights"): a post's figure is its latest row; a set's figure
adds each post's latest value; levels (followers…) are never added over days; a value the
platform does not measure is absent, never zero; clicks on envol's short links stand in for
link clicks, as a proxy, only where the platform gives none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from envol.insights.models import Channel, ChannelMetric, ChannelPost, LinkClickDay, PostMetric
from envol.networks.kinds import kinds_for
from envol.networks.metrics import LEVELS, Metric, MetricKind

BATCH = 500
ENGAGEMENT_PARTS = (Metric.LIKES, Metric.COMMENTS, Metric.SHARES, Metric.QUOTES)


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included; None is open-ended."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def last_days(cls, today: date, days: int) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    def q(self, field_name: str) -> Q:
        where = Q()
        if self.start:
            where &= Q(**{f"{field_name}__gte": self.start})
        if self.end:
            where &= Q(**{f"{field_name}__lte": self.end})
        return where


@dataclass
class NetworkFigures:
    """One network's figures over a set of posts: each metric's sum, its kind (a proxy wins,
    so it is always said), and how many posts had a value for it."""

    values: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    posts: int = 0
    measured_posts: dict[str, int] = field(default_factory=dict)

    def add(self, metric: str, value: float, kind: str, posts: int = 1) -> None:
        self.values[metric] = self.values.get(metric, 0) + value
        self.measured_posts[metric] = self.measured_posts.get(metric, 0) + posts
        if self.kinds.get(metric) != MetricKind.PROXY:
            self.kinds[metric] = kind

    def per_post(self, metric: str) -> float | None:
        """The mean over the posts that have the metric (a post without one is unknown, not 0)."""
        counted = self.measured_posts.get(metric, 0)
        return self.values[metric] / counted if counted else None


def latest_values(post_ids: Iterable[int]) -> dict[int, dict[str, tuple[float, str]]]:
    """Each post's latest value of each metric: post → metric → (value, kind)."""
    latest: dict[int, dict[str, tuple[float, str]]] = defaultdict(dict)
    ids = list(post_ids)
    for start in range(0, len(ids), BATCH):
        for post_id, metric, value, kind in (
            PostMetric.objects.filter(post_id__in=ids[start : start + BATCH])
            .exclude(kind=MetricKind.ABSENT)
            .order_by("day")
            .values_list("post_id", "metric", "value", "kind")
        ):
            latest[post_id][metric] = (value or 0.0, kind)
    for metrics in latest.values():
        _derive_engagements(metrics)
    return latest


def _derive_engagements(metrics: dict[str, tuple[float, str]]) -> None:
    """A post without an engagement count but with likes, comments, shares or quotes gets
    their sum (the kinds table's "else likes + comments + shares, computed")."""
    if Metric.ENGAGEMENTS in metrics:
        return
    parts = [metrics[m] for m in ENGAGEMENT_PARTS if m in metrics]
    if parts:
        kind = (
            MetricKind.PROXY if any(k == MetricKind.PROXY for _, k in parts) else MetricKind.EXACT
        )
        metrics[Metric.ENGAGEMENTS] = (sum(v for v, _ in parts), kind)


def network_figures(
    posts: QuerySet[ChannelPost], clicks: QuerySet[LinkClickDay]
) -> dict[str, NetworkFigures]:
    """Per network: each post's latest value of each flow metric, added up; the short links'
    clicks standing in for link clicks where the network gives none (a proxy)."""
    platforms = dict(posts.values_list("pk", "channel__platform"))
    networks: dict[str, NetworkFigures] = defaultdict(NetworkFigures)
    for platform in platforms.values():
        networks[platform].posts += 1
    for post_id, metrics in latest_values(platforms).items():
        for metric, (value, kind) in metrics.items():
            if metric not in LEVELS and kinds_for(platforms[post_id]).kind(metric) != "absent":
                networks[platforms[post_id]].add(metric, value, kind)
    by_platform: dict[str, int] = defaultdict(int)
    for platform, count in clicks.exclude(link__platform="").values_list(
        "link__platform", "clicks"
    ):
        by_platform[platform] += count
    for platform, count in by_platform.items():
        figures = networks[platform]
        if kinds_for(platform).kind(Metric.CLICKS) == MetricKind.EXACT and (
            Metric.CLICKS in figures.values
        ):
            continue  # the platform's own count already includes the clicks on our links
        figures.values.pop(Metric.CLICKS, None)
        figures.measured_posts.pop(Metric.CLICKS, None)
        figures.add(Metric.CLICKS, count, MetricKind.PROXY, posts=0)
    return dict(networks)


def views_basis(platform: str, figures: NetworkFigures) -> str | None:
    """The metric that stands for this network's views (X and LinkedIn: impressions), if any."""
    for metric in kinds_for(platform).views:
        if metric in figures.values:
            return str(metric)
    return None


def level_series(
    channels: Iterable[Channel], metric: str, period: Period
) -> dict[int, list[tuple[date, float]]]:
    """Each channel's readings of a level (followers…) in the period: channel → [(day, value)]."""
    series: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for channel_id, day, value in (
        ChannelMetric.objects.filter(channel__in=list(channels), metric=metric, value__isnull=False)
        .filter(period.q("day"))
        .order_by("day")
        .values_list("channel_id", "day", "value")
    ):
        series[channel_id].append((day, value or 0.0))  # value__isnull=False above
    return dict(series)


def followers_by_network(
    channels: Iterable[Channel], period: Period
) -> dict[str, list[tuple[date, float]]]:
    """Followers per network over time: on each day a channel of the network was read, the sum
    of its channels' latest readings (an organisation may have two Bluesky accounts)."""
    channels = list(channels)
    platform_of = {c.pk: c.platform for c in channels}
    readings = level_series(channels, Metric.FOLLOWERS, period)
    result: dict[str, list[tuple[date, float]]] = {}
    for platform in sorted(set(platform_of.values())):
        mine = {cid: dict(rows) for cid, rows in readings.items() if platform_of[cid] == platform}
        last: dict[int, float] = {}
        points: list[tuple[date, float]] = []
        for day in sorted({d for rows in mine.values() for d in rows}):
            for cid, rows in mine.items():
                if day in rows:
                    last[cid] = rows[day]
            points.append((day, sum(last.values())))
        if points:
            result[platform] = points
    return result


def latest_level(channel: Channel, metric: str, until: date | None = None) -> float | None:
    rows = ChannelMetric.objects.filter(channel=channel, metric=metric, value__isnull=False)
    if until:
        rows = rows.filter(day__lte=until)
    found = rows.order_by("-day").values_list("value", flat=True).first()
    return found


def daily_flows(channel: Channel, period: Period) -> dict[date, dict[str, tuple[float, str]]]:
    """The platform's own daily figures of a channel (imported daily files): day → metric →
    (value, kind); levels excluded."""
    days: dict[date, dict[str, tuple[float, str]]] = defaultdict(dict)
    for day, metric, value, kind in (
        ChannelMetric.objects.filter(channel=channel, value__isnull=False)
        .exclude(metric__in=[str(m) for m in LEVELS])
        .filter(period.q("day"))
        .order_by("day")
        .values_list("day", "metric", "value", "kind")
    ):
        days[day][metric] = (value or 0.0, kind)  # value__isnull=False above
    return dict(days)


def posts_in(channels: Any, period: Period) -> QuerySet[ChannelPost]:
    return ChannelPost.objects.filter(channel__in=channels).filter(period.q("published_on"))


def clicks_in(
    org: Any, period: Period, platforms: Iterable[str] | None = None
) -> QuerySet[LinkClickDay]:
    clicks = LinkClickDay.objects.filter(link__organisation=org).filter(period.q("day"))
    if platforms is not None:
        clicks = clicks.filter(link__platform__in=list(platforms))
    return clicks
