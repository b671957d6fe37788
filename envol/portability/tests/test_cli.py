"""`envol archive inspect|import` as a user runs them: exact JSON, tables, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.orgs.models import Organisation
from envol.portability.models import ArchiveImport, Relation
from envol.portability.tests.conftest import replace_member, write_archive
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

pytestmark = pytest.mark.django_db
SPEC = ArchiveSpec(seed=8, tweets=25, following=7)
COUNT_KEYS = ["following", "follower", "block", "mute", "tweets"]
COUNT_KEYS += ["retweets", "replies", "media", "note_tweets"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"ENVOL_LANGUAGE": "en"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("form", ["zip", "folder"])
def test_inspect_json_is_exactly_the_documented_shape(tmp_path: Path, form: str) -> None:
    code, out, _err = run("archive", "inspect", str(write_archive(tmp_path, SPEC, form)), "--json")
    assert code == 0
    report = json.loads(out)
    assert list(report) == ["account", "counts", "warnings"]
    assert list(report["account"]) == ["id", "username", "display_name"]
    assert list(report["counts"]) == COUNT_KEYS
    assert all(type(v) is int for v in report["counts"].values())
    assert report["counts"] == XArchiveFactory(SPEC).expected().counts.as_dict()
    assert all(isinstance(w, str) for w in report["warnings"])


def test_inspect_for_people(tmp_path: Path) -> None:
    code, out, _err = run("archive", "inspect", str(write_archive(tmp_path, SPEC)))
    assert code == 0 and "@ville_8" in out and "Posts (all kinds)" in out


def test_import_json_then_again_adds_nothing(org: Organisation, tmp_path: Path) -> None:
    path = str(write_archive(tmp_path, SPEC))
    code, out, _err = run("archive", "import", path, "--org", org.slug, "--json")
    assert code == 0
    first = json.loads(out)
    assert list(first) == ["import_id", "counts"] and list(first["counts"]) == COUNT_KEYS
    assert Relation.objects.filter(first_import_id=first["import_id"]).count() == 7 + 10 + 2 + 2
    code, out, _err = run("archive", "import", path, "--org", org.slug)
    assert code == 0 and "New" in out and "Following" in out
    assert ArchiveImport.objects.latest("pk").added["tweets"] == 0


def test_import_keeps_archive_and_media_when_asked(org: Organisation, tmp_path: Path) -> None:
    path = str(write_archive(tmp_path, SPEC))
    options = ["--json", "--keep-archive", "--keep-media"]
    code, out, _ = run("archive", "import", path, "--org", org.slug, *options)
    assert code == 0
    done = ArchiveImport.objects.get(pk=json.loads(out)["import_id"])
    assert done.keep_media and done.stored_path


def test_unknown_organisation(tmp_path: Path, db: None) -> None:
    code, _out, err = run("archive", "import", str(write_archive(tmp_path, SPEC)), "--org", "nope")
    assert code == 1 and "nope" in err


@pytest.mark.parametrize("command", ["inspect", "import"])
def test_a_bad_archive_is_one_clear_line(org: Organisation, tmp_path: Path, command: str) -> None:
    path = write_archive(tmp_path, SPEC)
    broken = replace_member(path, "data/follower.js", b'window.YTD.follower.part0 = [{"follo')
    extra = ["--org", org.slug] if command == "import" else []
    code, out, err = run("archive", command, str(broken), *extra)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("data/follower.js, line 1:") and "Re-download" in lines[0]
    if command == "import":
        assert ArchiveImport.objects.get().state == ArchiveImport.State.FAILED


def test_errors_in_french_by_default(tmp_path: Path) -> None:
    french = {"LANG": "fr_FR.UTF-8", "ENVOL_LANGUAGE": None}
    result = CliRunner().invoke(
        main, ["archive", "inspect", str(tmp_path / "absent.zip")], env=french
    )
    assert result.exit_code == 1 and "absent.zip" in result.stderr
    assert "Vérifiez le chemin" in result.stderr
