"""Review pages and exports: tenancy, bulk decisions, counts, the Mastodon CSV format, privacy."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.test import Client

from envol.cli import main
from envol.crosswalk.exports import MASTODON_HEADER
from envol.crosswalk.matching import compute_matches
from envol.crosswalk.models import Decision, IdentityLink, Match, MatchingJob
from envol.crosswalk.services import import_dataset
from envol.crosswalk.tests.conftest import HEADER, archive_with_following, did_for, write_csv
from envol.jobs.runner import run_to_end
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import add_member, create_organisation
from envol.portability.models import ArchiveImport, SourceAccount

pytestmark = pytest.mark.django_db
PASSWORD = "pw-review-123456"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Client, ArchiveImport, ArchiveImport]:
    rows = [
        ["1", "un", "un.bsky.social", did_for(1), "un@piaille.fr", "", "0.95"],
        ["2", "deux", "deux.bsky.social", did_for(2), "deux@mastodon.social", "", "0.7"],
        ["3", "trois", "", did_for(3), "", "", "0.6"],
    ]
    import_dataset(write_csv(tmp_path / "d.csv", rows, header=[*HEADER, "confidence"]), "d")
    a = create_organisation("ville-a", "Ville A")
    b = create_organisation("ville-b", "Ville B")
    add_member(a, "alice@a.test", Role.REVIEWER, password=PASSWORD)
    mine = archive_with_following(a, ["1", "2", "3", "4"])
    theirs = archive_with_following(b, ["1", "2"])
    for archive in (mine, theirs):
        compute_matches(archive, "bluesky")
        compute_matches(archive, "mastodon")
    client = Client()
    assert client.login(username="alice@a.test", password=PASSWORD)
    return client, mine, theirs


def test_counts_filters_and_bulk_decisions(
    setup: tuple[Client, ArchiveImport, ArchiveImport],
) -> None:
    client, mine, theirs = setup
    page = client.get(f"/o/ville-a/matches/?import={mine.pk}&network=bluesky").content.decode()
    assert 'id="count-auto"' in page and "did:plc:" in page
    review = client.get(f"/o/ville-a/matches/?import={mine.pk}&network=bluesky&band=review")
    pending = [m for m in review.context["page"]]
    assert {m.x_id for m in pending} == {"2", "3"}
    response = client.post(
        "/o/ville-a/matches/decide/",
        {"import": mine.pk, "action": "accept", "match": [m.pk for m in pending], "band": "review"},
    )
    assert response.status_code == 302 and "band=review" in response["Location"]
    assert Match.objects.filter(archive_import=mine, decision=Decision.ACCEPTED).count() == 4
    # another organisation's matches cannot be decided through my import
    foreign = Match.objects.filter(archive_import=theirs).first()
    assert foreign is not None
    client.post(
        "/o/ville-a/matches/decide/", {"import": mine.pk, "action": "reject", "match": [foreign.pk]}
    )
    foreign.refresh_from_db()
    assert foreign.decided_by is None
    assert client.get(f"/o/ville-a/matches/?import={theirs.pk}").status_code == 404


def test_mastodon_csv_is_mastodons_own_format(
    setup: tuple[Client, ArchiveImport, ArchiveImport],
) -> None:
    client, mine, _ = setup
    Match.objects.filter(archive_import=mine, network="mastodon").update(decision=Decision.ACCEPTED)
    response = client.get(
        f"/o/ville-a/matches/export/?import={mine.pk}&network=mastodon&format=mastodon-csv"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    assert text.splitlines()[0] == "Account address,Show boosts,Notify on new posts,Languages"
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == MASTODON_HEADER
    assert rows[1:] == [
        ["deux@mastodon.social", "true", "false", ""],
        ["un@piaille.fr", "true", "false", ""],
    ]
    assert "un@piaille.fr,true,false,\n" in text


def test_bluesky_exports_and_cli(setup: tuple[Client, ArchiveImport, ArchiveImport]) -> None:
    client, mine, _ = setup
    data = json.loads(
        client.get(
            f"/o/ville-a/matches/export/?import={mine.pk}&network=bluesky&format=json"
        ).content
    )
    assert data == [
        {"did": did_for(1), "handle": "un.bsky.social", "x_id": "1"}
    ]  # only the auto one
    result = CliRunner().invoke(
        main,
        [
            "crosswalk",
            "export",
            "--import",
            str(mine.pk),
            "--network",
            "bluesky",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == [
        ["did", "handle", "x_id"],
        [did_for(1), "un.bsky.social", "1"],
    ]
    bad = CliRunner().invoke(
        main,
        [
            "crosswalk",
            "export",
            "--import",
            str(mine.pk),
            "--network",
            "bluesky",
            "--format",
            "mastodon-csv",
        ],
    )
    assert bad.exit_code != 0 and "mastodon-csv" in bad.output


def test_own_links_page_consent_and_no_crosswalk_listing(
    setup: tuple[Client, ArchiveImport, ArchiveImport],
) -> None:
    client, mine, _ = setup
    org = mine.organisation
    add_member(org, "admin@a.test", Role.ADMIN, password=PASSWORD)
    SourceAccount.objects.filter(organisation=org).update(username="VilleA")
    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville-a.fr", remote_id=did_for(50)
    )
    # a reviewer cannot change consent
    assert (
        client.post(
            "/o/ville-a/matches/own/consent/", {"account": account.pk, "shared": "on"}
        ).status_code
        == 404
    )
    admin = Client()
    admin.login(username="admin@a.test", password=PASSWORD)
    admin.post("/o/ville-a/matches/own/consent/", {"account": account.pk, "shared": "on"})
    assert IdentityLink.objects.filter(source="self", remote_id=did_for(50)).exists()
    page = admin.get("/o/ville-a/matches/own/").content.decode()
    assert did_for(50) not in page or "ville-a.fr" in page
    assert did_for(3) not in page  # dataset links are never listed here
    admin.post("/o/ville-a/matches/own/consent/", {"account": account.pk})
    assert not IdentityLink.objects.filter(source="self").exists()


def test_matching_runs_as_a_job_the_list_follows(tmp_path: Path) -> None:
    rows = [["1", "un", "un.bsky.social", did_for(1), "", "", "0.95"]]
    import_dataset(write_csv(tmp_path / "d.csv", rows, header=[*HEADER, "confidence"]), "d")
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "ed@a.test", Role.EDITOR, password=PASSWORD)
    archive = archive_with_following(org, ["1", "2"])
    client = Client()
    assert client.login(username="ed@a.test", password=PASSWORD)
    for _click in range(2):  # a double click asks once
        response = client.post(
            "/o/ville-a/matches/compute/", {"import": archive.pk, "network": "bluesky"}
        )
        assert response.status_code == 302
    job = MatchingJob.objects.get()
    assert not Match.objects.exists()  # nothing computed inside the request
    waiting = client.get(f"/o/ville-a/matches/?import={archive.pk}").content.decode()
    assert 'id="matching-progress"' in waiting and 'http-equiv="refresh"' in waiting
    assert run_to_end(job).state == MatchingJob.State.DONE  # what a worker does
    done = client.get(f"/o/ville-a/matches/?import={archive.pk}").content.decode()
    assert 'id="matching-done"' in done and 'http-equiv="refresh"' not in done
    assert job.summary["matched"] == 1 and Match.objects.count() == 1


def flash(response: object) -> list[str]:
    return [str(message) for message in response.context["messages"]]  # type: ignore[attr-defined]


def test_messages_agree_with_their_count_and_name_the_network(
    setup: tuple[Client, ArchiveImport, ArchiveImport],
) -> None:
    client, mine, _ = setup
    one = Match.objects.filter(archive_import=mine, network="bluesky").first()
    assert one is not None
    decided = client.post(
        "/o/ville-a/matches/decide/",
        {"import": mine.pk, "action": "reject", "match": [one.pk]},
        follow=True,
    )
    assert "1 correspondance mise à jour." in flash(decided)
    add_member(mine.organisation, "eve@a.test", Role.EDITOR, password=PASSWORD)
    editor = Client()
    assert editor.login(username="eve@a.test", password=PASSWORD)
    editor.post(
        "/o/ville-a/matches/compute/",
        {"import": mine.pk, "network": "bluesky", "kind": "following"},
    )
    run_to_end(MatchingJob.objects.get())  # what a worker does
    page = editor.get(f"/o/ville-a/matches/?import={mine.pk}&network=bluesky").content.decode()
    assert "3 comptes sur 4 retrouvés sur Bluesky." in page


def test_band_counts_in_each_language_s_format(
    setup: tuple[Client, ArchiveImport, ArchiveImport],
) -> None:
    client, mine, _ = setup
    french = client.get(f"/o/ville-a/matches/?import={mine.pk}").content.decode()
    english = client.get(
        f"/o/ville-a/matches/?import={mine.pk}", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert re.search(r'id="count-auto">Automatique : \d+<', french)
    assert re.search(r'id="count-auto">Automatic: \d+<', english)
