from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from envol.decide import effort
from envol.orgs.models import Organisation, Role
from envol.orgs.services import add_member, create_organisation

TODAY = date(2025, 4, 10)  # tests never read the real date
MARCH = (date(2025, 3, 1), date(2025, 3, 31))


@pytest.fixture
def org(db: None) -> Organisation:
    return create_organisation("rennes-metropole", "Rennes Métropole")


def member(org: Organisation, role: str, email: str | None = None) -> Client:
    email = email or f"{role}@rennes.test"
    add_member(org, email, role, password=f"pw-{role}-123456")
    client = Client()
    assert client.login(username=email, password=f"pw-{role}-123456")
    return client


@pytest.fixture
def clients(org: Organisation) -> dict[str, Client]:
    return {role: member(org, role) for role in Role.values}


def user(org: Organisation, email: str, role: str = Role.EDITOR) -> Any:
    return add_member(org, email, role).user


def moment(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour))


def seed_roi_fixture(org: Organisation, folder: Path) -> dict[str, Any]:
    """Effort + costs + an X export + Bluesky snapshots and short-link clicks, all in March
    2025, with figures small enough to compute by hand (see test_roi)."""
    from envol.insights import services as insights
    from envol.insights.models import LinkClickDay, ShortLink, Source
    from envol.networks.metrics import Metric, MetricKind
    from envol.orgs.models import ConnectedAccount
    from envol.testing import analytics_exports as exports

    alice = user(org, "alice@rennes.test", Role.ADMIN)
    bob = user(org, "bob@rennes.test", Role.EDITOR)
    carol = user(org, "carol@rennes.test", Role.VIEWER)
    effort.set_rate(org, Decimal(40), person=alice)
    effort.set_rate(org, Decimal(30), role=Role.EDITOR)
    add: Callable[..., Any] = effort.add_effort
    add(org, network="x", hours=Decimal(6), day=date(2025, 3, 3), person=alice)
    add(org, network="x", hours=Decimal(4), day=date(2025, 3, 17), person=alice)
    add(org, network="x", hours=Decimal(5), day=date(2025, 3, 10), person=bob)
    add(org, network="x", hours=Decimal(3), day=date(2025, 2, 10), person=bob)  # February
    add(org, network="bluesky", hours=Decimal(8), day=date(2025, 3, 12), person=alice)
    add(org, network="linkedin", hours=Decimal(4), day=date(2025, 3, 5), person=carol)
    effort.add_other_cost(org, network="x", month=date(2025, 3, 1), kind="ads", euros=Decimal(300))
    effort.add_other_cost(org, network="x", month=date(2025, 4, 1), kind="ads", euros=Decimal(999))
    posts = [
        exports.Post(
            "101",
            datetime(2025, 3, 4, 10),
            "Budget #Rennes",
            {
                "impressions": 10_000,
                "likes": 120,
                "comments": 10,
                "shares": 20,
                "engagements": 400,
                "clicks": 90,
                "followers_gained": 7,
            },
        ),
        exports.Post(
            "102",
            datetime(2025, 3, 20, 10),
            "Travaux",
            {
                "impressions": 5_000,
                "likes": 30,
                "comments": 5,
                "shares": 5,
                "engagements": 200,
                "clicks": 30,
                "followers_gained": 3,
            },
        ),
        exports.Post("099", datetime(2025, 2, 20, 10), "Février", {"impressions": 777}),
    ]
    insights.import_export(
        org,
        exports.x_content(folder / "account_analytics_content_2025-02-01_2025-03-31.csv", posts),
        today=date(2025, 4, 1),
    )
    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="rennes.bsky.social"
    )
    channel = insights.channel_for_account(account)
    from envol.insights.exports.parse import PostRecord

    records = [
        PostRecord(
            remote_id="at://did:plc:rennes/app.bsky.feed.post/1",
            published_at=moment(date(2025, 3, 12)),
            text="Conseil",
        )
    ]
    ids, _new = insights.upsert_posts(channel, records)
    post_id = ids["at://did:plc:rennes/app.bsky.feed.post/1"]
    early = {Metric.LIKES: 10.0, Metric.COMMENTS: 1.0, Metric.SHARES: 2.0, Metric.QUOTES: 0.0}
    late = {Metric.LIKES: 30.0, Metric.COMMENTS: 5.0, Metric.SHARES: 10.0, Metric.QUOTES: 2.0}
    for day, values in ((date(2025, 3, 13), early), (date(2025, 3, 30), late)):
        insights.write_post_values(
            [(post_id, day, insights.measured("bluesky", values))],
            source=Source.SNAPSHOT,
            observed_at=moment(day),
        )
    for day, followers in ((date(2025, 2, 28), 100.0), (date(2025, 3, 31), 130.0)):
        insights.write_channel_values(
            channel,
            [(day, [insights.Value(Metric.FOLLOWERS, followers, MetricKind.EXACT)])],
            source=Source.SNAPSHOT,
            observed_at=moment(day),
        )
    link = ShortLink.objects.create(
        organisation=org, code="abc123", target_url="https://rennes.test/", platform="bluesky"
    )
    LinkClickDay.objects.create(link=link, day=date(2025, 3, 14), clicks=12, visitors=10)
    LinkClickDay.objects.create(link=link, day=date(2025, 4, 2), clicks=50, visitors=40)
    ConnectedAccount.objects.create(
        organisation=org, network="mastodon", handle="rennes@social.test"
    )
    insights.channel_for_account(ConnectedAccount.objects.get(network="mastodon"))
    return {"alice": alice, "bob": bob, "carol": carol}
