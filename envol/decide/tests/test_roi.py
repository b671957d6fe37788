"""`envol roi`'s figures reproduce ratios computed by hand on a fixture of effort, costs, an X
export, Bluesky snapshots and short-link clicks — with null wherever a figure is unknown."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.decide import roi
from envol.decide.tests.conftest import MARCH, seed_roi_fixture
from envol.orgs.models import Organisation

pytestmark = pytest.mark.django_db


def test_march_by_hand(org: Organisation, tmp_path: Path) -> None:
    seed_roi_fixture(org, tmp_path)
    result = roi.compute(org, *MARCH).as_json()
    assert result["period"] == ["2025-03-01", "2025-03-31"]
    assert list(result["networks"]) == ["bluesky", "mastodon", "x", "linkedin"]
    x = result["networks"]["x"]
    # 6 + 4 h by Alice (40 €/h) + 5 h by Bob (editor: 30 €/h); February's 3 h are outside.
    # Cost: 10 × 40 + 5 × 30 + 300 € of March ads (April's are outside) = 850 €.
    assert x == {
        "hours": 15,
        "cost": 850,
        "posts": 2,  # the February post is outside
        "views": 15_000,  # impressions: X's "views"
        "engagements": 600,
        "clicks": 120,
        "followers_gained": 10,
        "views_per_hour": 1000,
        "engagements_per_hour": 40,
        "clicks_per_hour": 8,
        "cost_per_engagement": round(850 / 600, 2),
        "cost_per_click": round(850 / 120, 2),
        "kinds": {
            "views": "exact",
            "engagements": "exact",
            "clicks": "exact",
            "followers_gained": "exact",
        },
    }
    bluesky = result["networks"]["bluesky"]
    # 8 h by Alice = 320 €; the post's latest snapshot (30 + 5 + 10 + 2 = 47), never two
    # snapshots added; 12 short-link clicks in March (April's 50 are outside); followers
    # 100 on 28 February → 130 on 31 March.
    assert bluesky == {
        "hours": 8,
        "cost": 320,
        "posts": 1,
        "views": None,
        "engagements": 47,
        "clicks": 12,
        "followers_gained": 30,
        "views_per_hour": None,
        "engagements_per_hour": 5.88,
        "clicks_per_hour": 1.5,
        "cost_per_engagement": round(320 / 47, 2),
        "cost_per_click": round(320 / 12, 2),
        "kinds": {
            "views": "absent",
            "engagements": "exact",
            "clicks": "proxy",
            "followers_gained": "proxy",
        },
    }
    mastodon = result["networks"]["mastodon"]
    # Connected, but no hour logged and nothing measured: unknown, never 0.
    assert mastodon["hours"] is None and mastodon["cost"] is None
    assert mastodon["posts"] == 0
    assert mastodon["engagements"] is None and mastodon["engagements_per_hour"] is None
    assert mastodon["kinds"]["views"] == "absent"
    linkedin = result["networks"]["linkedin"]
    # Carol's 4 h have no hourly cost (no personal, role or default rate): cost unknown.
    assert linkedin["hours"] == 4 and linkedin["cost"] is None
    assert linkedin["views"] is None and linkedin["kinds"]["views"] == "exact"
    assert linkedin["posts"] is None  # no LinkedIn channel at all


def test_a_default_rate_prices_every_hour(org: Organisation, tmp_path: Path) -> None:
    from decimal import Decimal

    from envol.decide import effort

    seed_roi_fixture(org, tmp_path)
    effort.set_rate(org, Decimal(25))
    linkedin = roi.compute(org, *MARCH).networks["linkedin"]
    assert linkedin.cost == 100


def test_other_costs_are_prorated_by_the_days_of_the_period(
    org: Organisation, tmp_path: Path
) -> None:
    from datetime import date

    seed_roi_fixture(org, tmp_path)
    half = roi.compute(org, date(2025, 3, 17), date(2025, 4, 15), networks=["x"]).networks["x"]
    # Alice's 4 h on 17 March = 160 €; ads: 300 × 15/31 (March) + 999 × 15/30 (April).
    assert half.cost == pytest.approx(160 + 300 * 15 / 31 + 999 * 15 / 30)


def test_x_baseline_is_the_last_six_months_of_the_export(org: Organisation, tmp_path: Path) -> None:
    from datetime import date

    seed_roi_fixture(org, tmp_path)
    assert roi.x_baseline_period(org) == (date(2024, 9, 21), date(2025, 3, 20))
    baseline = roi.x_baseline(org)
    assert baseline is not None
    assert baseline.hours == 18  # February's 3 h count too
    assert baseline.views == 15_777
    assert baseline.per_hour("views") == pytest.approx(15_777 / 18)


def test_cli_prints_exactly_the_json(org: Organisation, tmp_path: Path) -> None:
    import orjson

    seed_roi_fixture(org, tmp_path)
    result = CliRunner().invoke(
        main,
        ["roi", "--org", org.slug, "--from", "2025-03-01", "--to", "2025-03-31", "--json"],
    )
    assert result.exit_code == 0, result.output
    printed = orjson.loads(result.output)
    assert printed == roi.compute(org, *MARCH).as_json()
    assert printed["networks"]["x"]["cost_per_click"] == 7.08


def test_cli_table_and_bad_period(org: Organisation, tmp_path: Path) -> None:
    seed_roi_fixture(org, tmp_path)
    runner = CliRunner()
    table = runner.invoke(
        main, ["roi", "--org", org.slug, "--from", "2025-03-01", "--to", "2025-03-31"]
    )
    assert table.exit_code == 0, table.output
    assert "X" in table.output and "1 000" in table.output.replace("\xa0", " ")
    bad = runner.invoke(
        main, ["roi", "--org", org.slug, "--from", "2025-04-01", "--to", "2025-03-01"]
    )
    assert bad.exit_code == 1
    unknown = runner.invoke(
        main, ["roi", "--org", "nope", "--from", "2025-03-01", "--to", "2025-03-31"]
    )
    assert unknown.exit_code == 1 and "nope" in unknown.output


def test_monthly_trend(org: Organisation, tmp_path: Path) -> None:
    from datetime import date

    seed_roi_fixture(org, tmp_path)
    months = roi.monthly(org, date(2025, 2, 1), date(2025, 3, 31), networks=["x"])
    assert [m.start for m in months] == [date(2025, 2, 1), date(2025, 3, 1)]
    assert [m.networks["x"].hours for m in months] == [3, 15]
    assert [m.networks["x"].views for m in months] == [777, 15_000]
