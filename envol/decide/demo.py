"""Demo data of the decision, through the apps' services: six months of effort and costs, an X
analytics export covering them, Bluesky and Mastodon figures with short-link clicks, assessments
(two dates for X, so they can be compared), a signed decision and two scenarios — so that
every decision page and the report show real content. Used by `make demo` and the browser walk.
Running it twice changes nothing (it stops when the organisation already has effort)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from envol.orgs.models import Organisation, Role

MONTHS = [date(2024, 10, 1), date(2024, 11, 1), date(2024, 12, 1)] + [
    date(2025, month, 1) for month in (1, 2, 3)
]
MONTHLY_HOURS = {
    "x": (22, 20, 18, 16, 15, 12),
    "facebook": (12, 12, 14, 16, 12, 12),
    "linkedin": (8, 8, 9, 10, 8, 8),
    "instagram": (10, 10, 10, 12, 10, 10),
    "bluesky": (3, 4, 5, 6, 7, 8),
    "mastodon": (2, 2, 3, 3, 4, 4),
    "newsletter": (6, 6, 6, 6, 6, 6),
}
ACTIVITIES = ("writing", "replying", "moderation", "analytics")


@dataclass(frozen=True)
class SeededDecision:
    first_x_assessment: int
    latest_x_assessment: int


def seed_demo_decide(org: Organisation, folder: Path, signer: Any) -> SeededDecision | None:
    from envol.decide import assessments, decision, effort
    from envol.decide.models import Assessment, EffortEntry

    if EffortEntry.objects.filter(organisation=org).exists():
        found = list(
            Assessment.objects.filter(organisation=org, network="x")
            .order_by("assessed_on")
            .values_list("pk", flat=True)
        )
        return SeededDecision(found[0], found[-1]) if len(found) >= 2 else None
    effort.set_rate(org, Decimal(35))
    effort.set_rate(org, Decimal(30), role=Role.EDITOR)
    for network, hours in MONTHLY_HOURS.items():
        for index, (month, total) in enumerate(zip(MONTHS, hours, strict=True)):
            for week in range(4):
                effort.add_effort(
                    org,
                    network=network,
                    hours=Decimal(total) / 4,
                    day=month.replace(day=3 + 7 * week),
                    activity=ACTIVITIES[(week + index) % len(ACTIVITIES)],
                    person=signer if week % 2 == 0 else None,
                    note="demo",
                )
    for month in MONTHS:
        effort.add_other_cost(
            org, network="facebook", month=month, kind="ads", euros=Decimal(200), note="demo"
        )
        effort.add_other_cost(
            org, network="x", month=month, kind="tools", euros=Decimal(49), note="demo"
        )
    _x_export(org, folder)
    _open_networks(org)
    first = _assess(org, signer)
    scenario_hours = Decimal(12)
    decision.save_scenario(org, "x", "bluesky", scenario_hours, actor=signer)
    decision.save_scenario(org, "x", "linkedin", Decimal(6), actor=signer)
    decision.sign(
        org,
        "x",
        choice="dormant",
        rationale=(
            "Nos publics n'y sont plus et chaque heure y rapporte moins que sur nos autres "
            "réseaux. Le compte reste ouvert, en sommeil, pour que le nom ne soit pas pris."
        ),
        start=MONTHS[0],
        end=date(2025, 3, 31),
        actor=signer,
    )
    latest = assessments.latest_assessment(org, "x")
    assert latest is not None
    return SeededDecision(first, latest.pk)


def _x_export(org: Organisation, folder: Path) -> None:
    """Six months of X posts, declining as the audience leaves."""
    from envol.insights.services import import_export
    from envol.testing import analytics_exports as exports

    posts = []
    for index, month in enumerate(MONTHS):
        for n in range(6):
            impressions = (9000 - 1100 * index) + 300 * n
            posts.append(
                exports.Post(
                    f"17{index}{n:02d}0000000000000",
                    datetime.combine(month + timedelta(days=4 * n + 1), datetime.min.time())
                    + timedelta(hours=10),
                    f"Info travaux n°{index * 6 + n + 1} #Rennes",
                    {
                        "impressions": impressions,
                        "likes": impressions // 150,
                        "comments": impressions // 1500,
                        "shares": impressions // 700,
                        "engagements": impressions // 40,
                        "clicks": impressions // 300,
                        "followers_gained": 4 - index // 2,
                    },
                )
            )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "account_analytics_content_2024-10-01_2025-03-31.csv"
    import_export(org, exports.x_content(path, posts), today=date(2025, 4, 1))


def _open_networks(org: Organisation) -> None:
    """Bluesky and Mastodon: each post's counts as snapshots read them, the follower count
    each month, and the clicks of the short links posted there."""
    from envol.insights import services as insights
    from envol.insights.exports.parse import PostRecord
    from envol.insights.models import LinkClickDay, ShortLink, Source
    from envol.networks.metrics import Metric, MetricKind, Platform

    for platform, handle, growth in (
        (Platform.BLUESKY, "demo.bsky.social", 60),
        (Platform.MASTODON, "demo@social.example", 25),
    ):
        channel = insights.import_channel(org, platform, handle)
        for index, month in enumerate(MONTHS):
            records = [
                PostRecord(
                    remote_id=f"{platform}-demo-{index}-{n}",
                    published_at=timezone.make_aware(
                        datetime.combine(month + timedelta(days=5 * n + 2), datetime.min.time())
                        + timedelta(hours=11)
                    ),
                    text=f"Conseil métropolitain n°{index * 4 + n + 1}",
                )
                for n in range(4)
            ]
            ids, _new = insights.upsert_posts(channel, records)
            read_on = month + timedelta(days=27)
            likes = 10 + 6 * index if platform == Platform.BLUESKY else 6 + 3 * index
            insights.write_post_values(
                [
                    (
                        ids[r.remote_id],
                        read_on,
                        insights.measured(
                            platform,
                            {
                                Metric.LIKES: likes + n,
                                Metric.COMMENTS: 2 + n,
                                Metric.SHARES: likes // 3,
                            },
                        ),
                    )
                    for n, r in enumerate(records)
                ],
                source=Source.SNAPSHOT,
                observed_at=timezone.make_aware(datetime.combine(read_on, datetime.min.time())),
            )
            insights.write_channel_values(
                channel,
                [
                    (
                        month - timedelta(days=1),
                        [insights.Value(Metric.FOLLOWERS, 400 + growth * index, MetricKind.EXACT)],
                    )
                ],
                source=Source.SNAPSHOT,
                observed_at=timezone.now(),
            )
        link, _created = ShortLink.objects.get_or_create(
            organisation=org,
            code=f"demo{platform.value[:4]}",
            defaults={"target_url": "https://www.example.org/conseil", "platform": platform},
        )
        for index, month in enumerate(MONTHS):
            LinkClickDay.objects.update_or_create(
                link=link,
                day=month + timedelta(days=9),
                defaults={"clicks": growth // 3 + 9 * index, "visitors": growth // 4 + 8 * index},
            )


def _assess(org: Organisation, signer: Any) -> int:
    """Assessments from envol's defaults with the team's own audience scores; X twice."""
    from envol.decide import assessments

    audience = {
        "x": 2,
        "facebook": 4,
        "instagram": 3,
        "linkedin": 3,
        "bluesky": 2,
        "mastodon": 1,
        "newsletter": 3,
    }
    first = assessments.save_assessment(
        org,
        "x",
        date(2024, 3, 15),
        {1: {"score": 3, "comment": "Élus, journalistes et habitants y étaient encore."}},
        actor=signer,
        lang="fr",
    )
    for network, score in audience.items():
        assessments.save_assessment(
            org,
            network,
            date(2025, 3, 20),
            {1: {"score": score, "comment": "Selon nos chiffres et nos enquêtes."}},
            actor=signer,
            lang="fr",
        )
    return first.pk
