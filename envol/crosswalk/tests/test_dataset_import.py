"""Dataset import: validation with row numbers, upsert, idempotence, takedown, the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.crosswalk.models import IdentityLink, LinkObservation
from envol.crosswalk.services import forget_source, import_dataset
from envol.crosswalk.tests.conftest import HEADER, did_for, write_csv

pytestmark = pytest.mark.django_db


def test_valid_rows_import_and_bad_rows_are_reported_with_line_and_reason(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "links.csv",
        [
            ["1001", "alice", "alice.bsky.social", did_for(1), "alice@mastodon.social", "site"],
            ["12ab", "bob", "", did_for(2), "", ""],  # line 3: bad X id
            ["1003", "carol", "", "did:plc:short", "", ""],  # line 4: bad DID
            ["1004", "dave", "", "", "not an account", ""],  # line 5: bad Mastodon account
            ["1005", "erin", "erin.bsky.social", "", "", ""],  # line 6: handle without DID
            ["1006", "frank", "", "", "https://Piaille.fr/@Frank", ""],
            ["1007", "", "", "did:web:example.org", "", ""],
            ["1008", "x" * 16, "", did_for(8), "", ""],  # line 9: X handle too long
        ],
    )
    summary = import_dataset(path, "test", 0.8)
    assert (summary.imported, summary.updated, summary.rejected) == (4, 0, 5)
    rows = [e["row"] for e in summary.errors]
    assert rows == [3, 4, 5, 6, 9]
    reasons = " ".join(e["reason"] for e in summary.errors)
    for word in ("x_id", "bluesky_did", "mastodon_account", "without bluesky_did", "x_handle"):
        assert word in reasons
    frank = IdentityLink.objects.get(x_id="1006")
    assert (frank.network, frank.remote_id) == ("mastodon", "frank@piaille.fr")
    assert frank.remote_url == "https://piaille.fr/@frank"
    alice = IdentityLink.objects.filter(x_id="1001")
    assert {link.network for link in alice} == {"bluesky", "mastodon"}
    assert all(link.source == "dataset:test" and link.confidence == 0.8 for link in alice)


def test_reimport_is_idempotent_and_a_newer_observation_updates(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [[str(i), "", "", did_for(i), "", ""] for i in range(50)])
    first = import_dataset(path, "a")
    again = import_dataset(path, "a")
    assert (first.imported, first.updated) == (50, 0)
    assert (again.imported, again.updated) == (0, 50)
    assert IdentityLink.objects.count() == 50
    assert not LinkObservation.objects.exists()  # each link holds its only source's word
    newer = write_csv(
        tmp_path / "b.csv",
        [["7", "seven", "seven.example", did_for(7), "", "verified", "0.95"]],
        header=[*HEADER, "confidence"],
    )
    import_dataset(newer, "b")
    link = IdentityLink.objects.get(x_id="7")
    assert (link.source, link.confidence, link.remote_handle) == (
        "dataset:b",
        0.95,
        "seven.example",
    )
    # a's assertion, displaced, is kept as an observation: history
    assert list(link.observations.values_list("source", "confidence")) == [("dataset:a", 0.8)]


def test_duplicate_keys_in_one_file_last_row_wins(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "dup.csv",
        [["5", "", "", did_for(5), "", "first"], ["5", "", "", did_for(5), "", "second"]],
    )
    summary = import_dataset(path, "dup")
    assert summary.imported == 1
    assert IdentityLink.objects.get().evidence == "second"


def test_json_lines_are_read_too(tmp_path: Path) -> None:
    path = tmp_path / "links.jsonl"
    path.write_text(
        json.dumps({"x_id": 42, "bluesky_did": did_for(42), "confidence": 0.6})
        + "\n{broken\n"
        + json.dumps(["not", "an", "object"])
        + "\n",
        encoding="utf-8",
    )
    summary = import_dataset(path, "jl")
    assert (summary.imported, summary.rejected) == (1, 2)
    assert [e["row"] for e in summary.errors] == [2, 3]
    assert IdentityLink.objects.get().confidence == 0.6


def test_forget_removes_what_the_source_alone_asserted(tmp_path: Path) -> None:
    shared = [str(1), "", "", did_for(1), "", ""]
    import_dataset(write_csv(tmp_path / "a.csv", [shared, ["2", "", "", did_for(2), "", ""]]), "a")
    import_dataset(write_csv(tmp_path / "b.csv", [shared]), "b", 0.9)
    assert IdentityLink.objects.get(x_id="1").source == "dataset:b"
    forget_source("b")
    link = IdentityLink.objects.get(x_id="1")
    assert (link.source, link.confidence) == ("dataset:a", 0.8)
    forget_source("a")
    assert not IdentityLink.objects.exists()
    assert not LinkObservation.objects.exists()


def test_cli_json_contract_and_forget(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv", [["1", "", "", did_for(1), "", ""], ["x", "", "", "", "", ""]]
    )
    runner = CliRunner()
    result = runner.invoke(main, ["crosswalk", "import", str(path), "--source", "c", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == {
        "imported": 1,
        "updated": 0,
        "rejected": 1,
        "errors": [{"row": 3, "reason": data["errors"][0]["reason"]}],
    }
    assert "x_id" in data["errors"][0]["reason"]
    result = runner.invoke(main, ["crosswalk", "forget", "--source", "c"])
    assert result.exit_code == 0, result.output
    assert not IdentityLink.objects.exists()


def test_missing_x_id_column_names_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nohead.csv", [["1", did_for(1)]], header=["id", "did"])
    result = CliRunner().invoke(main, ["crosswalk", "import", str(path), "--source", "n"])
    assert result.exit_code != 0
    assert "nohead.csv" in result.output and "x_id" in result.output
