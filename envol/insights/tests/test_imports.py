"""Every platform's export, in French and in English, in its real shape and encoding."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.utils import translation

from envol.insights import services
from envol.insights.exports.parse import Mapping
from envol.insights.models import (
    Channel,
    ChannelMetric,
    ChannelPost,
    ColumnMapping,
    MetricsImport,
    PostMetric,
)
from envol.insights.tests.conftest import TODAY
from envol.orgs.models import Organisation
from envol.testing import analytics_exports as ex
from envol.testing.subprocess_db import env_for_child

START = datetime(2025, 1, 6, 9, 30)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in English (French is the default language)."""
    with translation.override("en"):
        yield


def posts(n: int = 3, first_id: int = 500, **metrics: float) -> list[ex.Post]:
    return [
        ex.Post(
            str(first_id + i),
            START + timedelta(days=i, hours=i),
            f"Post {i} #Rennes #Crue{i}",
            {name: value * (i + 1) for name, value in metrics.items()},
        )
        for i in range(n)
    ]


def days(n: int = 4, **metrics: float) -> list[ex.Day]:
    return [
        ex.Day(START.date() + timedelta(days=i), {k: v * (i + 1) for k, v in metrics.items()})
        for i in range(n)
    ]


def total(n: int, value: float) -> float:
    return value * n * (n + 1) / 2


Writer = Callable[[Path, str], Path]
CASES: list[tuple[str, Writer, str, str, int, dict[str, float]]] = [
    (
        "x_content",
        lambda p, lang: ex.x_content(
            p / "account_analytics_content_2025-01-01_2025-01-31.csv",
            posts(impressions=1234, likes=10, engagements=40, clicks=5, shares=2, comments=1),
            lang,
            bom=lang == "fr",
        ),
        "x",
        "posts",
        3,
        {"impressions": total(3, 1234), "likes": 60, "clicks": 30, "shares": 12},
    ),
    (
        "x_overview",
        lambda p, lang: ex.x_overview(
            p / "account_overview_analytics.csv",
            days(impressions=2500, engagements=30, followers_gained=2),
            lang,
        ),
        "x",
        "daily",
        4,
        {"impressions": total(4, 2500), "engagements": 300, "followers_gained": 20},
    ),
    (
        "x_tweet_activity",
        lambda p, lang: ex.x_tweet_activity(
            p / f"tweet_activity_metrics_ville_20190501_20190601_{lang}.csv",
            posts(impressions=1500, engagements=30, likes=7, clicks=4),
            lang,
        ),
        "x",
        "posts",
        3,
        {"impressions": total(3, 1500), "engagements": 180, "likes": 42, "clicks": 24},
    ),
    (
        "meta_posts_facebook",
        lambda p, lang: ex.meta_posts(
            p / "export.csv",
            "facebook",
            posts(views=10_000, reach=6000, likes=50, comments=5),
            lang,
        ),
        "facebook",
        "posts",
        3,
        {"views": 60_000, "reach": 36_000, "likes": 300, "engagements": 330},
    ),
    (
        "meta_posts_instagram",
        lambda p, lang: ex.meta_posts(
            p / "export.csv", "instagram", posts(views=3000, likes=80, saves=4), lang
        ),
        "instagram",
        "posts",
        3,
        {"views": 18_000, "likes": 480, "engagements": 504},
    ),
    (
        "meta_daily",
        lambda p, lang: ex.meta_daily(
            p / "Views.csv",
            "Vues Facebook" if lang == "fr" else "Facebook views",
            days(views=900),
            "views",
            lang,
        ),
        "facebook",
        "daily",
        4,
        {"views": total(4, 900)},
    ),
    (
        "linkedin_xlsx",
        lambda p, lang: ex.linkedin_workbook(
            p / "ville_content.xlsx",
            days(impressions=700, clicks=9),
            posts(impressions=4000, clicks=30, likes=20),
            lang,
        ),
        "linkedin",
        "posts",
        3,
        {"impressions": 24_000, "clicks": 180, "likes": 120},
    ),
    (
        "linkedin_xls",
        lambda p, lang: ex.linkedin_workbook(
            p / "ville_content.xls",
            days(impressions=700, clicks=9),
            posts(impressions=4000, clicks=30, likes=20),
            lang,
        ),
        "linkedin",
        "posts",
        3,
        {"impressions": 24_000, "clicks": 180, "likes": 120},
    ),
    (
        "youtube_table",
        lambda p, lang: ex.youtube_table(
            p / "Table data.csv",
            posts(views=2000, watch_hours=12.5, impressions=30_000, followers_gained=3),
            lang,
        ),
        "youtube",
        "posts",
        3,
        {"views": 12_000, "watch_hours": 75, "impressions": 180_000, "followers_gained": 18},
    ),
    (
        "youtube_totals",
        lambda p, lang: ex.youtube_totals(p / "Totals.csv", days(views=321), lang),
        "youtube",
        "daily",
        4,
        {"views": total(4, 321)},
    ),
    (
        "youtube_chart",
        lambda p, lang: ex.youtube_chart(
            p / "Chart data.csv",
            [(vid, d) for vid in ("abc", "def") for d in days(2, views=10)],
            lang,
        ),
        "youtube",
        "daily",
        2,
        {"views": 60},
    ),
    (
        "tiktok_overview",
        lambda p, lang: ex.tiktok_overview(
            p / "Overview.csv", days(views=5000, likes=100, profile_visits=20), lang
        ),
        "tiktok",
        "daily",
        4,
        {"views": total(4, 5000), "likes": 1000, "engagements": 1000},
    ),
    (
        "tiktok_followers",
        lambda p, lang: ex.tiktok_followers(
            p / "FollowerHistory.csv", days(followers=1000, followers_gained=3), lang
        ),
        "tiktok",
        "daily",
        4,
        {"followers_gained": 30},
    ),
    (
        "tiktok_content",
        lambda p, lang: ex.tiktok_content(
            p / "Content.csv", posts(views=7000, likes=300, shares=12), lang
        ),
        "tiktok",
        "posts",
        3,
        {"views": 42_000, "likes": 1800, "shares": 72},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(
    ("name", "write", "platform", "kind", "rows", "totals"), CASES, ids=[c[0] for c in CASES]
)
def test_every_export_in_both_languages(
    org: Organisation,
    folder: Path,
    lang: str,
    name: str,
    write: Writer,
    platform: str,
    kind: str,
    rows: int,
    totals: dict[str, float],
) -> None:
    path = write(folder, lang)
    summary = services.import_summary(services.import_export(org, path, today=TODAY))
    assert (summary["platform"], summary["kind"], summary["rows"]) == (platform, kind, rows)
    assert (summary["new"], summary["updated"]) == (rows, 0)
    for metric, value in totals.items():
        assert summary["totals"][metric] == pytest.approx(value), metric
    start, end = summary["period"]
    assert start <= end
    if kind == "posts":
        assert ChannelPost.objects.filter(channel__platform=platform).count() == rows
        assert start == START.date().isoformat()
    # The same file again: updated, never doubled.
    again = services.import_summary(services.import_export(org, path, today=TODAY))
    assert (again["new"], again["updated"]) == (0, rows)
    assert again["totals"] == summary["totals"]
    assert MetricsImport.objects.filter(organisation=org).count() == 2


@pytest.mark.django_db
def test_json_keys_and_values_are_exactly_the_issues(org: Organisation, folder: Path) -> None:
    path = ex.x_content(folder / "x.csv", posts(impressions=100, likes=1), "en")
    summary = services.import_summary(services.import_export(org, path, today=TODAY))
    assert list(summary) == [
        "platform",
        "kind",
        "rows",
        "new",
        "updated",
        "period",
        "totals",
        "warnings",
    ]
    assert summary["period"] == ["2025-01-06", "2025-01-08"]
    assert set(summary["totals"]) <= {
        "views",
        "impressions",
        "reach",
        "engagements",
        "likes",
        "comments",
        "shares",
        "clicks",
        "followers_gained",
        "watch_hours",
    }
    assert isinstance(summary["totals"]["impressions"], int)


@pytest.mark.django_db
def test_values_carry_kind_source_and_the_posts_hashtags(org: Organisation, folder: Path) -> None:
    path = ex.meta_posts(folder / "fb.csv", "facebook", posts(views=10, likes=2), "fr")
    done = services.import_export(org, path, today=TODAY)
    post = ChannelPost.objects.get(remote_id="500")
    assert post.tags == " crue0 rennes "
    assert post.url.startswith("https://www.facebook.com/")
    value = PostMetric.objects.get(post=post, metric="views")
    assert (value.value, value.kind, value.source, value.day) == (10, "exact", "import", TODAY)
    assert value.metrics_import == done
    assert Channel.objects.get(platform="facebook").name == "Rennes Métropole"


@pytest.mark.django_db
def test_an_overlapping_period_updates_its_days(org: Organisation, folder: Path) -> None:
    first = ex.x_overview(folder / "a.csv", days(4, impressions=100, engagements=1), "en")
    services.import_export(org, first, today=TODAY)
    later = [
        ex.Day(d.day + timedelta(days=2), {"impressions": 7, "engagements": 1}) for d in days(4)
    ]
    second = ex.x_overview(folder / "b.csv", later, "en")
    summary = services.import_summary(services.import_export(org, second, today=TODAY))
    assert (summary["new"], summary["updated"]) == (2, 2)
    rows = ChannelMetric.objects.filter(metric="impressions").order_by("day")
    assert [r.value for r in rows] == [100, 200, 7, 7, 7, 7]


@pytest.mark.django_db
def test_youtube_total_row_is_not_counted_twice(org: Organisation, folder: Path) -> None:
    path = ex.youtube_table(folder / "Table data.csv", posts(views=100), "en")
    assert path.read_text().splitlines()[1].startswith("Total,")
    summary = services.import_summary(services.import_export(org, path, today=TODAY))
    assert summary["rows"] == 3 and summary["totals"]["views"] == 600
    assert not ChannelPost.objects.filter(remote_id__iexact="total").exists()


@pytest.mark.django_db
def test_utf16_daily_file_with_sep_line(org: Organisation, folder: Path) -> None:
    path = ex.meta_daily(
        folder / "Reach.csv", "Couverture Instagram", days(reach=10), "reach", "fr"
    )
    raw = path.read_bytes()
    assert raw.startswith(b"\xff\xfe") and raw.decode("utf-16").startswith("sep=,")
    summary = services.import_summary(services.import_export(org, path, today=TODAY))
    assert summary["platform"] == "instagram" and summary["totals"] == {"reach": 100}


@pytest.mark.django_db
def test_tiktok_dates_without_year_are_placed_before_the_import_day(
    org: Organisation, folder: Path
) -> None:
    across = [ex.Day(date(2024, 12, 30) + timedelta(days=i), {"views": 1}) for i in range(4)]
    path = ex.tiktok_overview(folder / "Overview.csv", across, "fr")
    summary = services.import_summary(services.import_export(org, path, today=date(2025, 1, 10)))
    assert summary["period"] == ["2024-12-30", "2025-01-02"]
    assert any("no year" in w or "année" in w for w in summary["warnings"])


@pytest.mark.django_db
def test_linkedin_workbook_stores_its_daily_sheet_too(org: Organisation, folder: Path) -> None:
    path = ex.linkedin_workbook(
        folder / "c.xlsx", days(5, impressions=10), posts(impressions=4000), "fr"
    )
    services.import_export(org, path, today=TODAY)
    assert (
        ChannelMetric.objects.filter(channel__platform="linkedin", metric="impressions").count()
        == 5
    )
    assert ChannelPost.objects.get(channel__platform="linkedin", remote_id="urn:li:activity:500")


BAD_FILES: list[tuple[str, bytes, str]] = [
    ("notes.csv", b"name,colour\nalice,blue\n", "not an analytics export"),
    (
        "account_analytics_content.csv",
        b'Post id,Date,Post text,Likes\n1,"Fri, Jan 24, 2025",hello,3\n',
        "Impressions",
    ),
    ("empty.csv", b"", "empty"),
    ("image.xlsx", b"PK\x03\x04not really a workbook", "spreadsheet"),
    ("binary.csv", b"\x00\x01\x02\x03" * 100, "not"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "says"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_store_nothing(
    org: Organisation, folder: Path, name: str, content: bytes, says: str
) -> None:
    path = folder / name
    path.write_bytes(content)
    with pytest.raises(services.ExportError) as caught:
        services.import_export(org, path, today=TODAY)
    message = str(caught.value)
    assert name in message and says in message and "\n" not in message
    assert not MetricsImport.objects.exists() and not ChannelPost.objects.exists()
    assert not Channel.objects.exists()


@pytest.mark.django_db
def test_missing_column_names_expected_and_found(org: Organisation, folder: Path) -> None:
    path = folder / "account_analytics_content.csv"
    path.write_text("Post id,Date,Post text,Likes\n1,2025-01-24,hello,3\n")
    with pytest.raises(services.ExportError) as caught:
        services.import_export(org, path, today=TODAY)
    message = str(caught.value)
    assert "X account_analytics_content" in message
    assert "Impressions" in message  # expected
    assert "Post text" in message  # found


@pytest.mark.django_db
def test_a_mapping_assigned_by_hand_is_remembered(org: Organisation, folder: Path) -> None:
    path = folder / "renamed.csv"
    path.write_text("Jour,Vus,Aimés\n2025-01-24,100,3\n2025-01-25,200,4\n")
    with pytest.raises(services.ExportError):
        services.import_export(org, path, today=TODAY)
    mapping = Mapping("youtube_totals", {"date": "Jour", "views": "Vus"})
    summary = services.import_summary(
        services.import_export(org, path, mapping=mapping, today=TODAY)
    )
    assert summary["platform"] == "youtube" and summary["totals"] == {"views": 300}
    assert ColumnMapping.objects.get(organisation=org).columns == mapping.columns
    again = folder / "renamed-again.csv"
    again.write_text("Jour,Vus,Aimés\n2025-01-26,5,0\n")
    assert services.import_summary(services.import_export(org, again, today=TODAY))["rows"] == 1


def _envol(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envol", *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_cli_prints_the_json_and_a_bad_file_exits_1_with_one_line(
    org: Organisation, folder: Path
) -> None:
    env = env_for_child()  # the subprocess uses this test's database
    path = ex.youtube_table(folder / "Table data.csv", posts(views=100), "fr")
    done = _envol("insights", "import", str(path), "--org", org.slug, "--json", env=env)
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = orjson.loads(done.stdout)
    assert summary["platform"] == "youtube" and summary["rows"] == 3
    bad = folder / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    failed = _envol("insights", "import", str(bad), "--org", org.slug, env=env)
    assert failed.returncode == 1
    assert failed.stdout == "" and len(failed.stderr.strip().splitlines()) == 1
    assert "bad.csv" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.django_db(transaction=True)
def test_cli_summary_names_the_metrics_in_the_command_line_s_language(
    org: Organisation, folder: Path
) -> None:
    path = ex.youtube_table(folder / "Table data.csv", posts(views=100), "fr")
    french = _envol("insights", "import", str(path), "--org", org.slug, env=env_for_child())
    assert french.returncode == 0, french.stderr
    assert re.search(r"^  vues +\d+$", french.stdout, re.M), french.stdout
    assert ": 3 lignes, 3 nouvelles, 0 mise à jour" in french.stdout  # French: 0 is singular
    english = _envol(
        "insights",
        "import",
        str(path),
        "--org",
        org.slug,
        env=env_for_child() | {"ENVOL_LANGUAGE": "en"},
    )
    assert re.search(r"^  views +\d+$", english.stdout, re.M), english.stdout
    assert ": 3 rows, 0 new, 3 updated" in english.stdout  # the same file again
