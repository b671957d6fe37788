"""Return on investment per network and period: the hours and money a network cost against what
it brought (views, engagements, clicks, followers), and the ratios per hour and per euro.

Rules (the method page explains them to the team; tests reproduce them by hand):
- **Unknown is null, never 0.** No hour logged → hours null (not "0 h"); a metric the platform
  does not give → null with kind `absent`; a metric it gives but that no import or snapshot
  holds → null with its kind; a ratio whose terms are not both known → null.
- **What a period brought** is, per metric, the latest reading of each post published in the
  period, added up; when the period holds no post-level value of that metric, the platform's
  own daily figures of the period (flows added). Never both, never two readings of one post.
- **Views** are the platform's headline audience figure from the kinds table (X and LinkedIn:
  impressions; Meta, YouTube, TikTok: views; Bluesky, Mastodon: absent).
- **Engagements** are the platform's own figure; Bluesky and Mastodon give none, so envol adds
  likes, replies and reposts (and quotes), as the kinds table notes.
- **Clicks** are the platform's link clicks where it gives them; otherwise the clicks of the
  organisation's own short links posted there (a proxy, a lower bound).
- **Followers gained**: the platform's figure; otherwise the change in the follower count
  between the last reading before (or on) the first day and the last reading of the period.
- **Cost** = hours × each person's hourly cost (see `effort.Rates`) + other costs of the
  months in the period (prorated by days). If an hour has no cost, the cost is unknown (null).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max

from envol.decide.effort import Rates
from envol.decide.models import EffortEntry, OtherCost
from envol.decide.networks import NETWORK_CODES, ORDER, kinds_of
from envol.networks.metrics import Metric, MetricKind
from envol.orgs.models import Organisation

FIGURES = ("views", "engagements", "clicks", "followers_gained")
INTERACTIONS = (Metric.LIKES, Metric.COMMENTS, Metric.SHARES)
SUMMED_ENGAGEMENTS = (Metric.LIKES, Metric.COMMENTS, Metric.SHARES, Metric.QUOTES)
BATCH = 500


@dataclass
class NetworkROI:
    network: str
    hours: float | None = None
    cost: float | None = None
    posts: int | None = None
    views: float | None = None
    engagements: float | None = None
    clicks: float | None = None
    followers_gained: float | None = None
    interactions: float | None = None  # likes + comments + shares: comparable across networks
    kinds: dict[str, str] = field(default_factory=dict)
    views_basis: str | None = None  # the metric counted as views (impressions or views)
    unpriced_hours: float = 0.0  # hours of people with no hourly cost

    def per_hour(self, figure: str) -> float | None:
        value = getattr(self, figure)
        if value is None or not self.hours:
            return None
        return float(value) / self.hours

    def cost_per(self, figure: str) -> float | None:
        value = getattr(self, figure)
        if self.cost is None or value is None or value <= 0:
            return None
        return self.cost / float(value)

    def per_100_euros(self, figure: str) -> float | None:
        value = getattr(self, figure)
        if value is None or not self.cost:
            return None
        return float(value) * 100 / self.cost

    def as_json(self) -> dict[str, Any]:
        """Exactly one network of `envol roi --json`."""
        return {
            "hours": _number(self.hours),
            "cost": _number(self.cost),
            "posts": self.posts,
            "views": _number(self.views),
            "engagements": _number(self.engagements),
            "clicks": _number(self.clicks),
            "followers_gained": _number(self.followers_gained),
            "views_per_hour": _number(self.per_hour("views")),
            "engagements_per_hour": _number(self.per_hour("engagements")),
            "clicks_per_hour": _number(self.per_hour("clicks")),
            "cost_per_engagement": _number(self.cost_per("engagements")),
            "cost_per_click": _number(self.cost_per("clicks")),
            "kinds": dict(self.kinds),
        }


@dataclass
class PeriodROI:
    start: date
    end: date
    networks: dict[str, NetworkROI]

    def as_json(self) -> dict[str, Any]:
        """Exactly the JSON of `envol roi --json`."""
        return {
            "period": [self.start.isoformat(), self.end.isoformat()],
            "networks": {code: n.as_json() for code, n in self.networks.items()},
        }


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


def compute(
    org: Organisation,
    start: date,
    end: date,
    *,
    networks: Iterable[str] | None = None,
    show_all: bool = False,
) -> PeriodROI:
    """The ROI of every network the organisation spent time or money on, or measured, in the
    period (`networks` to restrict; `show_all` for every known network)."""
    if start > end:
        start, end = end, start
    hours, unpriced, labour = _effort(org, start, end)
    other = _other_costs(org, start, end)
    posts = _posts(org, start, end)
    channels = _channel_platforms(org)
    wanted = set(networks) if networks is not None else None
    present = set(hours) | set(other) | set(posts) | channels
    codes = [
        c
        for c in NETWORK_CODES
        if (wanted is None or c in wanted) and (show_all or wanted is not None or c in present)
    ]
    values = _values(org, start, end, codes)
    links = _short_link_clicks(org, start, end)
    gained = _followers_change(org, start, end, codes)
    result: dict[str, NetworkROI] = {}
    for code in codes:
        roi = NetworkROI(code)
        if code in hours:
            roi.hours = hours[code]
            roi.unpriced_hours = unpriced.get(code, 0.0)
        roi.cost = _cost(roi, labour.get(code), other.get(code))
        roi.posts = posts.get(code, 0 if code in channels else None)
        _fill_metrics(roi, values.get(code, {}), links.get(code), gained.get(code))
        result[code] = roi
    return PeriodROI(start, end, result)


def _effort(
    org: Organisation, start: date, end: date
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Per network: hours, hours nobody put a cost on, and the cost of the priced hours."""
    rates = Rates(org)
    hours: dict[str, float] = defaultdict(float)
    unpriced: dict[str, float] = defaultdict(float)
    labour: dict[str, float] = defaultdict(float)
    for network, person_id, spent in EffortEntry.objects.filter(
        organisation=org, day__range=(start, end)
    ).values_list("network", "person_id", "hours"):
        hours[network] += float(spent)
        rate = rates.of(person_id)
        if rate is None:
            unpriced[network] += float(spent)
        else:
            labour[network] += float(spent * rate)
    return dict(hours), dict(unpriced), dict(labour)


def month_starts(start: date, end: date) -> list[date]:
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _other_costs(org: Organisation, start: date, end: date) -> dict[str, float]:
    """Other costs of the months the period touches, each prorated by the days it covers."""
    costs: dict[str, float] = defaultdict(float)
    for network, month, euros in OtherCost.objects.filter(
        organisation=org, month__range=(start.replace(day=1), end)
    ).values_list("network", "month", "euros"):
        length = calendar.monthrange(month.year, month.month)[1]
        last = month.replace(day=length)
        covered = (min(end, last) - max(start, month)).days + 1
        costs[network] += float(euros) * covered / length
    return dict(costs)


def _cost(roi: NetworkROI, labour: float | None, other: float | None) -> float | None:
    if roi.hours is not None and roi.unpriced_hours:
        return None  # some hours have no cost: the total is unknown, not an underestimate
    if roi.hours is None and other is None:
        return None
    return (labour or 0.0) + (other or 0.0)


def _channel_platforms(org: Organisation) -> set[str]:
    from envol.insights.models import Channel

    return set(Channel.objects.filter(organisation=org).values_list("platform", flat=True))


def _posts(org: Organisation, start: date, end: date) -> dict[str, int]:
    """Posts published in the period: every post envol knows of the organisation's channels,
    plus the posts envol published that no channel post stands for yet."""
    from envol.insights.models import ChannelPost
    from envol.publishing.models import Publication

    counts: dict[str, int] = defaultdict(int)
    for platform, count in (
        ChannelPost.objects.filter(channel__organisation=org, published_on__range=(start, end))
        .values("channel__platform")
        .annotate(n=Count("pk"))
        .values_list("channel__platform", "n")
    ):
        counts[platform] += count
    for publication in Publication.objects.filter(
        post__organisation=org,
        state=Publication.State.DONE,
        part_index=0,
        channel_posts__isnull=True,
        done_at__date__range=(start, end),
    ).values_list("network", flat=True):
        counts[publication] += 1
    return dict(counts)


def _values(
    org: Organisation, start: date, end: date, codes: list[str]
) -> dict[str, dict[str, float]]:
    """Per network and metric: the period's value (posts' latest readings, else daily flows)."""
    from envol.insights.models import ChannelMetric, ChannelPost, PostMetric
    from envol.networks.metrics import LEVELS

    platforms = dict(
        ChannelPost.objects.filter(
            channel__organisation=org,
            channel__platform__in=codes,
            published_on__range=(start, end),
        ).values_list("pk", "channel__platform")
    )
    latest: dict[tuple[int, str], float] = {}
    ids = list(platforms)
    for first in range(0, len(ids), BATCH):
        for post_id, metric, value in (
            PostMetric.objects.filter(post_id__in=ids[first : first + BATCH])
            .exclude(kind=MetricKind.ABSENT)
            .order_by("day", "observed_at")
            .values_list("post_id", "metric", "value")
        ):
            latest[(post_id, metric)] = value or 0.0
    from_posts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (post_id, metric), value in latest.items():
        if metric not in LEVELS:
            from_posts[platforms[post_id]][metric] += value
    daily: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for platform, metric, value in (
        ChannelMetric.objects.filter(
            channel__organisation=org,
            channel__platform__in=codes,
            day__range=(start, end),
        )
        .exclude(kind=MetricKind.ABSENT)
        .exclude(metric__in=[m.value for m in LEVELS])
        .values_list("channel__platform", "metric", "value")
    ):
        daily[platform][metric] += value or 0.0
    merged: dict[str, dict[str, float]] = {}
    for code in codes:
        values = dict(daily.get(code, {}))
        values.update(from_posts.get(code, {}))  # post-level values win, metric by metric
        merged[code] = values
    return merged


def _short_link_clicks(org: Organisation, start: date, end: date) -> dict[str, float]:
    """Clicks on the organisation's own short links, per network they were posted to; a network
    with links but no click has 0 (a count), one with no link is absent from the result."""
    from envol.insights.models import LinkClickDay, ShortLink

    clicks: dict[str, float] = {
        p: 0.0
        for p in ShortLink.objects.filter(organisation=org)
        .exclude(platform="")
        .values_list("platform", flat=True)
        .distinct()
    }
    for platform, count in (
        LinkClickDay.objects.filter(link__organisation=org, day__range=(start, end))
        .exclude(link__platform="")
        .values_list("link__platform", "clicks")
    ):
        clicks[platform] += count
    return clicks


def _followers_change(
    org: Organisation, start: date, end: date, codes: list[str]
) -> dict[str, float]:
    """Per network: last follower count of the period minus the last one on or before its
    first day (both needed: one reading says nothing of a change)."""
    from envol.insights.models import ChannelMetric

    readings = ChannelMetric.objects.filter(
        channel__organisation=org,
        channel__platform__in=codes,
        metric=Metric.FOLLOWERS,
        day__lte=end,
    ).exclude(kind=MetricKind.ABSENT)
    change: dict[str, float] = defaultdict(float)
    seen: set[str] = set()
    for channel_id, platform in readings.values_list("channel_id", "channel__platform").distinct():
        own = readings.filter(channel_id=channel_id)
        before = own.filter(day__lte=start).aggregate(day=Max("day"))["day"]
        after = own.filter(day__gt=start).aggregate(day=Max("day"))["day"]
        if before is None or after is None:
            continue
        first = own.get(day=before).value or 0.0
        last = own.get(day=after).value or 0.0
        change[platform] += last - first
        seen.add(platform)
    return {p: change[p] for p in seen}


def _fill_metrics(
    roi: NetworkROI,
    values: dict[str, float],
    link_clicks: float | None,
    followers_change: float | None,
) -> None:
    kinds = kinds_of(roi.network)
    # views: the platform's headline audience figure
    basis = next((m for m in kinds.views if m in values), kinds.views[0] if kinds.views else None)
    roi.kinds["views"] = kinds.kind(basis).value if basis else MetricKind.ABSENT.value
    if basis is not None:
        roi.views_basis = basis.value
        roi.views = values.get(basis)
    # engagements
    roi.kinds["engagements"] = kinds.kind(Metric.ENGAGEMENTS).value
    if Metric.ENGAGEMENTS in values:
        roi.engagements = values[Metric.ENGAGEMENTS]
    elif kinds.kind(Metric.ENGAGEMENTS) != MetricKind.ABSENT and any(
        m in values for m in SUMMED_ENGAGEMENTS
    ):
        roi.engagements = sum(values.get(m, 0.0) for m in SUMMED_ENGAGEMENTS)
    # interactions: likes + comments + shares, where the platform gives all three
    if all(kinds.kind(m) != MetricKind.ABSENT for m in INTERACTIONS) and any(
        m in values for m in INTERACTIONS
    ):
        roi.interactions = sum(values.get(m, 0.0) for m in INTERACTIONS)
    # clicks: the platform's own count, else the organisation's short links (a proxy)
    clicks_kind = kinds.kind(Metric.CLICKS)
    if clicks_kind == MetricKind.EXACT and Metric.CLICKS in values:
        roi.clicks = values[Metric.CLICKS]
        roi.kinds["clicks"] = MetricKind.EXACT.value
    elif link_clicks is not None:
        roi.clicks = link_clicks
        roi.kinds["clicks"] = MetricKind.PROXY.value
    else:
        roi.kinds["clicks"] = clicks_kind.value
        if clicks_kind != MetricKind.ABSENT and Metric.CLICKS in values:
            roi.clicks = values[Metric.CLICKS]
    # followers gained
    gained_kind = kinds.kind(Metric.FOLLOWERS_GAINED)
    if Metric.FOLLOWERS_GAINED in values:
        roi.followers_gained = values[Metric.FOLLOWERS_GAINED]
        roi.kinds["followers_gained"] = gained_kind.value
    elif followers_change is not None:
        roi.followers_gained = followers_change
        roi.kinds["followers_gained"] = MetricKind.PROXY.value
    else:
        roi.kinds["followers_gained"] = gained_kind.value


# --- months, the X baseline -------------------------------------------------------------------


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def monthly(
    org: Organisation, start: date, end: date, networks: Iterable[str] | None = None
) -> list[PeriodROI]:
    """One ROI per calendar month the period touches (the first and last cut to the period)."""
    wanted = list(networks) if networks is not None else None
    return [
        compute(org, max(start, month), min(end, month_end(month)), networks=wanted)
        for month in month_starts(start, end)
    ]


def last_x_day(org: Organisation) -> date | None:
    """The last day the X analytics exports speak of (posts or daily figures)."""
    from envol.insights.models import ChannelMetric, ChannelPost

    days = [
        ChannelPost.objects.filter(channel__organisation=org, channel__platform="x").aggregate(
            d=Max("published_on")
        )["d"],
        ChannelMetric.objects.filter(channel__organisation=org, channel__platform="x").aggregate(
            d=Max("day")
        )["d"],
    ]
    known = [d for d in days if d is not None]
    return max(known) if known else None


def six_months_before(day: date) -> date:
    month = day.month - 6
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    length = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, length)) + timedelta(days=1)


def x_baseline(org: Organisation) -> NetworkROI | None:
    """What X brought per hour in the last six months its exports cover: the yardstick each
    alternative is set beside. None when no X export was imported."""
    last = last_x_day(org)
    if last is None:
        return None
    return compute(org, six_months_before(last), last, networks=["x"]).networks["x"]


def x_baseline_period(org: Organisation) -> tuple[date, date] | None:
    last = last_x_day(org)
    return (six_months_before(last), last) if last else None


def ordered(codes: Iterable[str]) -> list[str]:
    return sorted(codes, key=lambda c: ORDER.get(c, 99))
