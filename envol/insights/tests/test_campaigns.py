"""Campaigns: the brief's acceptance example, Rennes Métropole's flood crisis campaign."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.insights import services
from envol.insights.models import Campaign, LinkClickDay
from envol.insights.shortlinks import create_link
from envol.insights.tests.conftest import TODAY
from envol.orgs.models import Organisation
from envol.testing import analytics_exports as ex


def campaign_json(org: Organisation, *args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        main, ["insights", "campaign", "Crue de la Vilaine", "--org", org.slug, *args, "--json"]
    )
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)  # type: ignore[no-any-return]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_rennes_flood_campaign_reproduces_the_brief(
    org: Organisation, folder: Path, lang: str
) -> None:
    for path in ex.flood_exports(folder, lang):
        services.import_export(org, path, today=TODAY)
    report = campaign_json(
        org,
        "--from",
        ex.FLOOD_START.isoformat(),
        "--to",
        ex.FLOOD_END.isoformat(),
        "--tag",
        "#CrueVilaine",
    )
    assert list(report) == ["campaign", "period", "networks", "total_views"]
    assert report["period"] == [ex.FLOOD_START.isoformat(), ex.FLOOD_END.isoformat()]
    networks = report["networks"]
    assert networks["facebook"]["views"] == 740_000
    assert networks["linkedin"]["impressions"] == 496_000
    assert networks["instagram"]["views"] == 296_000
    assert networks["x"]["impressions"] == 150_000
    assert report["total_views"] == 1_682_000  # "1.7 million views"
    for figures in networks.values():
        assert figures["engagements"] > 0


@pytest.mark.django_db
def test_period_and_tag_select_and_running_again_updates(org: Organisation, folder: Path) -> None:
    for path in ex.flood_exports(folder, "fr"):
        services.import_export(org, path, today=TODAY)
    everything = campaign_json(org)  # no period, no tag: every post
    assert everything["total_views"] == 1_682_000 + 4 * (9999 + 7777)
    by_tag = campaign_json(org, "--tag", "cruevilaine")
    assert by_tag["total_views"] == 1_682_000 + 4 * 9999  # the post before the flood has the tag
    both = campaign_json(org, "--from", ex.FLOOD_START.isoformat())  # the tag stays
    assert both["total_views"] == 1_682_000
    campaign = Campaign.objects.get(organisation=org)
    assert campaign.tags == ["cruevilaine"] and campaign.starts_on == ex.FLOOD_START
    assert Campaign.objects.count() == 1


@pytest.mark.django_db
def test_human_output_says_which_figure_counts_as_views(org: Organisation, folder: Path) -> None:
    for path in ex.flood_exports(folder, "en"):
        services.import_export(org, path, today=TODAY)
    result = CliRunner(env={"ENVOL_LANGUAGE": "en"}).invoke(
        main, ["insights", "campaign", "Flood", "--org", org.slug, "--tag", "CrueVilaine"]
    )
    assert result.exit_code == 0, result.output
    assert "X: impressions" in result.output and "Facebook: views" in result.output


@pytest.mark.django_db
def test_short_link_clicks_stand_in_for_clicks_where_the_network_gives_none(
    org: Organisation,
) -> None:
    campaign = services.save_campaign(org, "Crue", starts_on=TODAY)
    for platform, clicks in (("bluesky", 12), ("mastodon", 30), ("x", 5)):
        link = create_link(
            org, "https://metropole.rennes.fr/crue", platform=platform, campaign=campaign
        )
        LinkClickDay.objects.create(link=link, day=TODAY, clicks=clicks, visitors=clicks)
    report = services.campaign_report(campaign)
    assert report.networks["bluesky"].values["clicks"] == 12
    assert report.networks["bluesky"].kinds["clicks"] == "proxy"
    assert report.networks["mastodon"].values["clicks"] == 30
    assert report.total_views == 0  # no views are ever invented for Bluesky or Mastodon
    assert "views" not in report.as_json()["networks"]["bluesky"]


@pytest.mark.django_db
def test_a_campaign_that_ends_before_it_starts_is_refused(org: Organisation) -> None:
    result = CliRunner().invoke(
        main,
        [
            "insights",
            "campaign",
            "X",
            "--org",
            org.slug,
            "--from",
            "2025-02-01",
            "--to",
            "2025-01-01",
        ],
    )
    assert result.exit_code == 1 and "2025-02-01" in result.output
    assert not Campaign.objects.exists()
