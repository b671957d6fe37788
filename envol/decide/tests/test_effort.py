"""Effort entry three ways — the weekly grid (web), `envol effort add`, a CSV import with one
clear error per bad line — and the estimate of posts published with envol, counted only once
confirmed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone

from envol.cli import main
from envol.decide import effort
from envol.decide.models import EffortEntry
from envol.decide.tests.conftest import user
from envol.orgs.models import AuditEvent, Organisation, Role

pytestmark = pytest.mark.django_db
MONDAY = date(2025, 3, 10)


def test_the_grid_saves_updates_and_clears_a_week(
    org: Organisation, clients: dict[str, Client]
) -> None:
    editor = clients[Role.EDITOR]
    url = f"/o/{org.slug}/decide/effort/?week=2025-03-12"
    page = editor.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="h-x-2025-03-10"' in html and 'name="h-website-2025-03-16"' in html
    assert 'aria-label="X,' in html
    saved = editor.post(url, {"h-x-2025-03-10": "1,5", "h-bluesky-2025-03-11": "0h45"})
    assert saved.status_code == 302
    entries = EffortEntry.objects.filter(organisation=org, source="grid")
    assert sorted((e.network, e.day, e.hours) for e in entries) == [
        ("bluesky", date(2025, 3, 11), Decimal("0.75")),
        ("x", MONDAY, Decimal("1.50")),
    ]
    editor.post(url, {"h-x-2025-03-10": "2"})  # the emptied Bluesky cell goes
    assert [(e.network, e.hours) for e in entries.all()] == [("x", Decimal("2.00"))]
    assert 'value="2"' in editor.get(url).content.decode()
    bad = editor.post(url, {"h-x-2025-03-10": "30", "h-tiktok-2025-03-12": "abc"})
    assert bad.status_code == 400
    assert entries.get().hours == Decimal("2.00")  # nothing saved
    assert "TikTok" in bad.content.decode()


def test_viewers_cannot_log_effort(org: Organisation, clients: dict[str, Client]) -> None:
    assert clients[Role.VIEWER].get(f"/o/{org.slug}/decide/effort/").status_code == 404
    assert clients[Role.REVIEWER].get(f"/o/{org.slug}/decide/effort/").status_code == 404


def test_cli_effort_add(org: Organisation) -> None:
    user(org, "alice@rennes.test")
    runner = CliRunner(env={"ENVOL_LANGUAGE": "en"})
    done = runner.invoke(
        main,
        [
            "effort",
            "add",
            "--org",
            org.slug,
            "--network",
            "LinkedIn",
            "--hours",
            "2,5",
            "--date",
            "2025-03-04",
            "--activity",
            "video",
            "--person",
            "Alice@rennes.test",
        ],
    )
    assert done.exit_code == 0, done.output
    entry = EffortEntry.objects.get()
    assert (entry.network, entry.hours, entry.activity, entry.person.username) == (
        "linkedin",
        Decimal("2.50"),
        "video",
        "alice@rennes.test",
    )
    assert entry.source == "cli"
    stranger = runner.invoke(
        main,
        [
            "effort",
            "add",
            "--org",
            org.slug,
            "--network",
            "x",
            "--hours",
            "1",
            "--person",
            "nobody@else.test",
        ],
    )
    assert stranger.exit_code == 1 and "nobody@else.test" in stranger.output
    network = runner.invoke(
        main, ["effort", "add", "--org", org.slug, "--network", "myspace", "--hours", "1"]
    )
    assert network.exit_code == 1 and "myspace" in network.output
    assert EffortEntry.objects.count() == 1


def test_csv_import_all_or_nothing_with_one_error_per_line(
    org: Organisation, tmp_path: Path
) -> None:
    user(org, "bob@rennes.test")
    good = tmp_path / "heures.csv"
    good.write_text(
        "Date;Réseau;Heures;Activité;Personne;Note\n"
        "2025-03-03;Facebook;1,5;modération;bob@rennes.test;\n"
        "04/03/2025;newsletter;2;writing;;lettre de mars\n"
        "\n",
        encoding="utf-8-sig",
    )
    assert effort.import_csv(org, good) == 2
    rows = EffortEntry.objects.order_by("day")
    assert [(e.network, e.hours, e.activity) for e in rows] == [
        ("facebook", Decimal("1.50"), "moderation"),
        ("newsletter", Decimal("2.00"), "writing"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,network,hours\n2025-03-05,x,1\n2025-13-01,x,1\n2025-03-06,myspace,1\n"
        "2025-03-07,x,25\n",
        encoding="utf-8",
    )
    with pytest.raises(effort.CsvImportError) as raised:
        effort.import_csv(org, bad)
    lines = [(e.file, e.line) for e in raised.value.errors]
    assert lines == [("bad.csv", 3), ("bad.csv", 4), ("bad.csv", 5)]
    assert "2025-03-31" in str(raised.value.errors[0])  # says how to write a date
    assert EffortEntry.objects.count() == 2  # nothing of the bad file
    missing = tmp_path / "missing.csv"
    missing.write_text("when,where\n2025-03-05,x\n", encoding="utf-8")
    with pytest.raises(effort.CsvImportError) as raised:
        effort.import_csv(org, missing)
    assert "hours" in str(raised.value) and "when, where" in str(raised.value)
    result = CliRunner().invoke(main, ["effort", "import", str(bad), "--org", org.slug])
    assert result.exit_code == 1
    assert "bad.csv" in result.output and result.output.count("bad.csv") == 3


def test_csv_import_from_the_web(org: Organisation, clients: dict[str, Client]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/o/{org.slug}/decide/effort/import/"
    upload = SimpleUploadedFile("h.csv", b"date,network,hours\n2025-03-05,x,nope\n")
    answer = clients[Role.EDITOR].post(url, {"file": upload}, follow=True)
    assert "h.csv" in answer.content.decode() and EffortEntry.objects.count() == 0
    upload = SimpleUploadedFile("h.csv", b"date,network,hours\n2025-03-05,x,1\n")
    clients[Role.EDITOR].post(url, {"file": upload})
    assert EffortEntry.objects.get().source == "csv"


def test_envol_posts_are_offered_never_counted_until_confirmed(
    org: Organisation, clients: dict[str, Client]
) -> None:
    from envol.decide import roi
    from envol.orgs.models import ConnectedAccount
    from envol.publishing.models import Post, Publication

    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="r.bsky.social"
    )
    done_at = timezone.make_aware(datetime(2025, 3, 11, 10))
    for index in range(3):
        post = Post.objects.create(organisation=org, text=f"post {index}", state="done")
        Publication.objects.create(
            post=post,
            account=account,
            network="bluesky",
            text="x",
            idempotency_key=f"k{index}",
            state="done",
            done_at=done_at + timedelta(hours=index),
        )
    offered = effort.pending_estimates(org, today=date(2025, 3, 14))
    assert [(e.network, e.monday, e.posts, e.hours) for e in offered] == [
        ("bluesky", MONDAY, 3, Decimal("0.50"))  # 3 × 10 minutes
    ]
    assert roi.compute(org, MONDAY, MONDAY + timedelta(days=6)).networks["bluesky"].hours is None
    clients[Role.EDITOR].post(
        f"/o/{org.slug}/decide/effort/estimate/",
        {"network": "bluesky", "week": "2025-03-10", "hours": "0,75", "posts": "3"},
    )
    entry = EffortEntry.objects.get(source="estimate")
    assert entry.hours == Decimal("0.75") and entry.day == MONDAY
    assert effort.pending_estimates(org, today=date(2025, 3, 14)) == []
    assert AuditEvent.objects.filter(action="decide.effort.estimate").count() == 1
