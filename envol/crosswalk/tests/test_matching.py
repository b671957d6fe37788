"""Matching: one set-based pass, bands from the settings, human decisions survive re-runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from envol import readahead
from envol.cli import main
from envol.crosswalk import matching
from envol.crosswalk.matching import compute_matches
from envol.crosswalk.models import Band, Decision, IdentityLink, Match
from envol.crosswalk.services import accepted_matches, decide, forget_source, import_dataset
from envol.crosswalk.tests.conftest import HEADER, archive_with_following, did_for, write_csv
from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.portability.models import ArchiveImport, Relation

pytestmark = pytest.mark.django_db


@pytest.fixture
def crosswalk(tmp_path: Path) -> None:
    rows = [
        ["1", "", "", did_for(1), "", "", "0.95"],  # auto
        ["2", "", "", did_for(2), "", "", "0.7"],  # review
        ["2", "", "", did_for(22), "", "", "0.6"],  # a weaker second candidate
        ["3", "", "", did_for(3), "", "", "0.3"],  # too weak
        ["4", "", "", "", "four@piaille.fr", "", "0.9"],  # Mastodon only
    ]
    import_dataset(write_csv(tmp_path / "d.csv", rows, header=[*HEADER, "confidence"]), "d")


def test_bands_candidates_and_totals(crosswalk: None) -> None:
    org = create_organisation("ville-a", "Ville A")
    archive = archive_with_following(org, ["1", "2", "3", "4", "5"])
    summary = compute_matches(archive, "bluesky")
    assert summary.as_json() == {
        "relations": 5,
        "matched": 2,
        "by_source": {"dataset:d": 2},
        "by_band": {"auto": 1, "review": 1, "none": 3},
    }
    one = Match.objects.get(x_id="1")
    assert (one.band, one.decision, one.decided_by) == (Band.AUTO, Decision.ACCEPTED, None)
    two = Match.objects.get(x_id="2")
    assert (two.band, two.decision, two.remote_id) == (Band.REVIEW, Decision.PENDING, did_for(2))
    assert two.candidate_count == 2 and did_for(22) in two.candidates
    assert Match.objects.get(x_id="3").band == Band.NONE
    masto = compute_matches(archive, "mastodon")
    assert masto.by_band == {"auto": 1, "review": 0, "none": 4}


def test_the_other_candidates_are_the_next_five_best_in_order(tmp_path: Path) -> None:
    confidences = ["0.5", "0.9", "0.6", "0.8", "0.55", "0.7", "0.65", "0.75"]
    rows = [["6", "", "", did_for(60 + i), "", "", c] for i, c in enumerate(confidences)]
    import_dataset(write_csv(tmp_path / "d.csv", rows, header=[*HEADER, "confidence"]), "d")
    archive = archive_with_following(create_organisation("ville-a", "A"), ["6"])
    compute_matches(archive, "bluesky")
    match = Match.objects.get(x_id="6")
    assert (match.remote_id, match.confidence, match.candidate_count) == (did_for(61), 0.9, 8)
    assert match.candidates == "; ".join(
        f"{did_for(60 + i)} (dataset:d, {p}%)"
        for i, p in ((3, 80), (7, 75), (5, 70), (6, 65), (2, 60))
    )


def test_a_first_matching_falls_back_to_the_upsert_on_a_match_inserted_meanwhile(
    crosswalk: None,
) -> None:
    """What an incremental matching committed between the check for existing matches and the
    insert (here: a row the check does not see, of another kind) is updated, not an error."""
    archive = archive_with_following(create_organisation("ville-a", "A"), ["1", "2"])
    relation = Relation.objects.get(source_account=archive.source_account, remote_id="2")
    Match.objects.create(
        archive_import=archive,
        relation=relation,
        network="bluesky",
        kind="follower",
        x_id="2",
        remote_id="stale",
        confidence=0.1,
        band=Band.NONE,
        source="d",
        computed_at=timezone.now(),
    )
    compute_matches(archive, "bluesky")
    assert Match.objects.get(relation=relation).remote_id == did_for(2)
    assert Match.objects.get(x_id="1").remote_id == did_for(1)


def test_thresholds_come_from_settings(crosswalk: None) -> None:
    archive = archive_with_following(create_organisation("ville-a", "A"), ["1", "2", "3"])
    with override_settings(ENVOL_MATCH_AUTO=0.6, ENVOL_MATCH_REVIEW=0.2):
        summary = compute_matches(archive, "bluesky")
    assert summary.by_band == {"auto": 2, "review": 1, "none": 0}


def test_rematch_is_idempotent_and_keeps_human_decisions(crosswalk: None, tmp_path: Path) -> None:
    org = create_organisation("ville-a", "Ville A")
    user = add_member(org, "a@a.test", Role.EDITOR).user
    archive = archive_with_following(org, ["1", "2", "3"])
    first = compute_matches(archive, "bluesky")
    ids = set(Match.objects.values_list("id", flat=True))
    auto = Match.objects.get(x_id="1")
    decide(org, [auto.pk], Decision.REJECTED, user)
    decide(org, [Match.objects.get(x_id="2").pk], Decision.ACCEPTED, user)
    again = compute_matches(archive, "bluesky")
    assert again.as_json() == first.as_json()
    assert set(Match.objects.values_list("id", flat=True)) == ids
    assert Match.objects.get(x_id="1").decision == Decision.REJECTED
    assert Match.objects.get(x_id="2").decision == Decision.ACCEPTED
    assert [m["bluesky_did"] for m in accepted_matches(org, archive.pk)] == [did_for(2)]
    # a takedown removes the matches built on what the source alone asserted
    forget_source("d")
    compute_matches(archive, "bluesky")
    assert not Match.objects.exists()


def test_cli_match_json(crosswalk: None) -> None:
    archive = archive_with_following(create_organisation("ville-a", "A"), ["1", "2"])
    result = CliRunner().invoke(
        main, ["match", "--import", str(archive.pk), "--network", "bluesky", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"relations", "matched", "by_source", "by_band"}
    assert data["by_band"] == {"auto": 1, "review": 1, "none": 0}


def test_a_match_goes_with_its_import_its_relation_and_its_link(crosswalk: None) -> None:
    """Match's keys carry no database constraint (models.py says why): what removes an import,
    a relation or a link removes the matches that hang on it, or unlinks them."""
    org = create_organisation("ville-a", "Ville A")
    archive = archive_with_following(org, ["1", "2", "3"])
    compute_matches(archive, "bluesky")
    assert Match.objects.count() == 3
    Relation.objects.filter(remote_id="3").delete()
    assert sorted(Match.objects.values_list("x_id", flat=True)) == ["1", "2"]
    IdentityLink.objects.filter(remote_id=did_for(2)).delete()
    assert Match.objects.get(x_id="2").link_id is None
    archive.delete()
    assert not Match.objects.exists()


@pytest.mark.django_db(transaction=True)  # the helpers' connections see committed rows only
def test_a_large_import_matched_in_parts_or_read_ahead_gives_what_one_statement_gives(
    crosswalk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts on PostgreSQL; on SQLite, one statement with its pages read ahead."""
    monkeypatch.setattr(matching, "PARALLEL_MIN_RELATIONS", 1)
    shares: list[tuple[str, list[list[Any]]]] = []
    read_ahead = readahead.read_ahead

    def spied(query: str, parts: list[list[Any]]) -> Any:
        shares.append((query, parts))
        return read_ahead(query, parts)

    monkeypatch.setattr(readahead, "read_ahead", spied)
    monkeypatch.setattr(matching.os, "cpu_count", lambda: 3)
    org = create_organisation("ville-a", "Ville A")
    user = add_member(org, "a@a.test", Role.EDITOR).user
    whole = archive_with_following(org, ["1", "2", "3", "4", "5"])
    parted = archive_with_following(org, [])  # the same account, so the same relations
    seen = ("relation_id", "remote_id", "band", "decision", "candidates", "candidate_count")

    def matched(archive: ArchiveImport) -> list[tuple[object, ...]]:
        return list(
            Match.objects.filter(archive_import=archive).order_by("relation").values_list(*seen)
        )

    for network in ("bluesky", "mastodon"):
        assert compute_matches(whole, network) == compute_matches(parted, network, in_parts=True)
    assert matched(parted) == matched(whole) and len(matched(whole)) == 4
    if connection.vendor == "sqlite":  # the readers' shares: every candidate, once
        candidates = {"bluesky": (4, 2), "mastodon": (1, 1)}  # in all, most for a relation
        assert [parts[0][-1] for _, parts in shares] == list(candidates)
        for query, parts in shares:
            read = [connection.connection.execute(query, part).fetchone()[0] for part in parts]
            assert (sum(read), max(read)) == candidates[parts[0][-1]]
    else:
        assert shares == []
    # Again, in parts (the upsert): decisions kept, the match whose link went removed.
    decide(org, [Match.objects.get(archive_import=parted, x_id="2").pk], Decision.REJECTED, user)
    IdentityLink.objects.filter(x_id=1).delete()
    compute_matches(parted, "bluesky", in_parts=True)
    kept = Match.objects.filter(archive_import=parted, network="bluesky")
    assert sorted(kept.values_list("x_id", "decision")) == [
        ("2", Decision.REJECTED),
        ("3", Decision.PENDING),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_part_that_fails_fails_the_matching(
    crosswalk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("parts on PostgreSQL only (runs in pytest --db=postgres)")
    monkeypatch.setattr(matching, "PARALLEL_MIN_RELATIONS", 1)
    monkeypatch.setattr(matching.os, "cpu_count", lambda: 2)
    real = matching._insert

    def second_part_fails(cursor: Any, params: dict[str, Any], *args: Any) -> bool:
        if params.get("part") == 1:
            raise RuntimeError("part 1 failed")
        return real(cursor, params, *args)

    monkeypatch.setattr(matching, "_insert", second_part_fails)
    archive = archive_with_following(create_organisation("ville-a", "A"), ["1", "2"])
    with pytest.raises(RuntimeError, match="part 1 failed"):
        compute_matches(archive, "bluesky", in_parts=True)
