"""The insights pages: the overview (followers over time, engagement per post, clicks per
network), a channel, a campaign — figures computed by hand, kinds said, filters, CSV exports of
every table (formula cells neutralised), tenancy."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from envol.insights import services
from envol.insights.exports.parse import PostRecord
from envol.insights.models import Channel, Source
from envol.insights.shortlinks import count_click, create_link
from envol.insights.tests.conftest import TODAY, member
from envol.networks.metrics import Metric
from envol.orgs.models import ConnectedAccount, Organisation, Role
from envol.orgs.services import create_organisation
from envol.testing import analytics_exports as ex

DAY1, DAY2 = TODAY - timedelta(days=1), TODAY
PERIOD = f"start={DAY1.isoformat()}&end={DAY2.isoformat()}"


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def read(
    channel: Channel, day: date, followers: float | None, posts: dict[int, dict[Metric, float]]
) -> None:
    """One snapshot, written as the collector writes it."""
    if followers is not None:
        services.write_channel_values(
            channel,
            [(day, services.measured(channel.platform, {Metric.FOLLOWERS: followers}))],
            source=Source.SNAPSHOT,
            observed_at=at(day, 6),
        )
    services.write_post_values(
        [(pk, day, services.measured(channel.platform, v)) for pk, v in posts.items()],
        source=Source.SNAPSHOT,
        observed_at=at(day, 6),
    )


def account(org: Organisation, network: str, handle: str) -> Channel:
    connected = ConnectedAccount.objects.create(organisation=org, network=network, handle=handle)
    return services.channel_for_account(connected)


def posts(channel: Channel, *texts: str) -> list[int]:
    records = [
        PostRecord(f"{channel.platform}-{i}", at(DAY1), f"https://example.test/{i}", text)
        for i, text in enumerate(texts)
    ]
    ids, _new = services.upsert_posts(channel, records)
    return [ids[r.remote_id] for r in records]


@pytest.fixture
def measured(org: Organisation) -> dict[str, Channel]:
    """Bluesky: followers 100 then 110, two posts (A read twice: the latest counts; B gives its
    own engagements); Mastodon: followers 50 on day 2, one post; short-link clicks on Bluesky,
    7 in the period and 3 before it."""
    bluesky = account(org, "bluesky", "ville.bsky.social")
    mastodon = account(org, "mastodon", "ville@social.test")
    a, b = posts(bluesky, "=HYPERLINK(1) #Vélo", "Second post")
    (m,) = posts(mastodon, "Un pouet")
    read(bluesky, DAY1, 100, {a: {Metric.LIKES: 1}})
    read(bluesky, DAY2, 110, {a: {Metric.LIKES: 3, Metric.SHARES: 1}, b: {Metric.ENGAGEMENTS: 6}})
    read(mastodon, DAY2, 50, {m: {Metric.ENGAGEMENTS: 4, Metric.LIKES: 4}})
    link = create_link(org, "https://example.test/agenda", platform="bluesky")
    for i in range(7):
        count_click(link.pk, f"v{i}", DAY2)
    for i in range(3):
        count_click(link.pk, f"old{i}", DAY1 - timedelta(days=5))
    return {"bluesky": bluesky, "mastodon": mastodon}


def csv_of(client: Client, url: str) -> list[list[str]]:
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200, url
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_overview_figures_by_hand_with_kinds_and_charts(
    org: Organisation, viewer: Client, measured: dict[str, Channel]
) -> None:
    url = f"/o/{org.slug}/insights/"
    page = viewer.get(f"{url}?{PERIOD}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    for chart in ("chart-followers", "chart-engagement", "chart-clicks"):
        assert f'id="{chart}"' in html and f'aria-labelledby="{chart}-title"' in html
        assert f'aria-describedby="{chart}-desc"' in html
    assert html.count('role="img"') == 3
    followers = csv_of(viewer, f"{url}?{PERIOD}&csv=followers")
    assert followers[0] == ["Day", "Bluesky", "Mastodon"]
    assert followers[1:] == [[DAY2.isoformat(), "110", "50"], [DAY1.isoformat(), "100", ""]]
    engagement = csv_of(viewer, f"{url}?{PERIOD}&csv=engagement")
    assert engagement[0] == [
        "Network",
        "Posts published",
        "Engagements",
        "Engagements — kind",
        "Engagements per post",
        "Engagements per post — kind",
    ]
    # A: latest reading 3 likes + 1 share = 4 (the first reading is not added); B: its own 6.
    assert engagement[1] == ["Bluesky", "2", "10", "exact", "5", "exact"]
    assert engagement[2] == ["Mastodon", "1", "4", "exact", "4", "exact"]
    clicks = csv_of(viewer, f"{url}?{PERIOD}&csv=clicks")
    assert clicks[1][:3] == ["Bluesky", "7", "proxy"]  # the short links of the period only
    assert clicks[2][:3] == ["Mastodon", "", ""]  # a proxy the period has no figure of
    assert "Bluesky: 100 on Feb. 28, 2025, 110 on March 1, 2025; Mastodon: 50 on March 1" in html


@pytest.mark.django_db
def test_network_filter_and_a_bad_period(
    org: Organisation, viewer: Client, measured: dict[str, Channel]
) -> None:
    url = f"/o/{org.slug}/insights/"
    only = csv_of(viewer, f"{url}?{PERIOD}&network=mastodon&csv=engagement")
    assert [row[0] for row in only[1:]] == ["Mastodon"]
    page = viewer.get(f"{url}?start={DAY2}&end={DAY1}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "The end of the period comes before its start." in page.content.decode()
    assert viewer.get(f"{url}?{PERIOD}&csv=nothing").status_code == 404


@pytest.mark.django_db
def test_every_table_of_every_page_downloads_as_csv(
    org: Organisation, viewer: Client, measured: dict[str, Channel], folder: Path
) -> None:
    for path in ex.flood_exports(folder, "en"):
        services.import_export(org, path, today=TODAY)
    campaign = services.save_campaign(org, "Crue", tags=["CrueVilaine"])
    bluesky = measured["bluesky"]
    pages = {
        f"/o/{org.slug}/insights/?{PERIOD}": 6,
        f"/o/{org.slug}/insights/channels/{bluesky.pk}/?{PERIOD}": 3,
        f"/o/{org.slug}/insights/campaigns/{campaign.pk}/": 2,
    }
    for url, count in pages.items():
        page = viewer.get(url)
        assert page.status_code == 200, url
        links = [
            part.split('"')[0].replace("&amp;", "&")
            for part in page.content.decode().split('href="?')[1:]
            if "csv=" in part.split('"')[0]
        ]
        assert len(links) == count, url
        for link in links:
            rows = csv_of(viewer, url.split("?")[0] + "?" + link)
            assert rows and rows[0], link
    posts = csv_of(viewer, f"/o/{org.slug}/insights/channels/{bluesky.pk}/?{PERIOD}&csv=posts")
    cells = [cell for row in posts for cell in row]
    assert "'=HYPERLINK(1) #Vélo" in cells and "=HYPERLINK(1) #Vélo" not in cells


@pytest.mark.django_db
def test_campaign_page_says_views_basis_shares_and_absent(
    org: Organisation, viewer: Client, folder: Path
) -> None:
    for path in ex.flood_exports(folder, "fr"):
        services.import_export(org, path, today=TODAY)
    bluesky = account(org, "bluesky", "rennes.bsky.social")
    (post,) = [
        services.upsert_posts(
            bluesky, [PostRecord("at://b/1", at(ex.FLOOD_START), text="Crue ! #CrueVilaine")]
        )[0]["at://b/1"]
    ]
    read(bluesky, ex.FLOOD_START, None, {post: {Metric.LIKES: 12}})
    campaign = services.save_campaign(
        org, "Crue", starts_on=ex.FLOOD_START, ends_on=ex.FLOOD_END, tags=["CrueVilaine"]
    )
    url = f"/o/{org.slug}/insights/campaigns/{campaign.pk}/"
    page = viewer.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="chart-views"' in html
    assert "Total views: 1,682,000" in html
    assert "X: impressions" in html and "Facebook: views" in html
    rows = {row[0]: row for row in csv_of(viewer, f"{url}?csv=networks")}
    assert rows["Network"] == [
        "Network",
        "Posts",
        "Views",
        "Views — kind",
        "Counted as views",
        "Share of the views (%)",
        "Engagements",
        "Engagements — kind",
        "Clicks",
        "Clicks — kind",
    ]
    assert rows["Facebook"][2:6] == ["740000", "exact", "views", "44"]
    assert rows["LinkedIn"][2:5] == ["496000", "exact", "impressions"]
    assert rows["Bluesky"][2:5] == ["", "absent", "—"]  # no views on Bluesky: never invented
    assert rows["Bluesky"][6:8] == ["12", "exact"]  # likes stand for engagements (computed)
    only = csv_of(viewer, f"{url}?network=x&csv=networks")
    assert [row[0] for row in only[1:]] == ["X"]


@pytest.mark.django_db
def test_viewers_read_other_organisations_do_not(
    org: Organisation, measured: dict[str, Channel]
) -> None:
    other = create_organisation("ville-b", "Ville B")
    intruder = member(other, Role.ADMIN)
    bluesky = measured["bluesky"]
    assert intruder.get(f"/o/{other.slug}/insights/channels/{bluesky.pk}/").status_code == 404
    campaign = services.save_campaign(org, "Privée")
    assert intruder.get(f"/o/{other.slug}/insights/campaigns/{campaign.pk}/").status_code == 404
    assert intruder.get(f"/o/{org.slug}/insights/?csv=followers").status_code == 404
