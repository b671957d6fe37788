"""`envol history site` as a user runs it: the site written, the summary in the user's
language, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.history.tests.conftest import SPEC
from envol.orgs.models import Organisation
from envol.portability.models import ArchiveImport

pytestmark = pytest.mark.django_db


def run(language: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"ENVOL_LANGUAGE": language})
    return result.exit_code, result.stdout, result.stderr


def test_site_command_in_french_and_english(
    org: Organisation, imported: ArchiveImport, tmp_path: Path
) -> None:
    output = tmp_path / "site"
    common = ["--import", str(imported.pk), "--org", org.slug, "--output", str(output)]
    code, out, _err = run("fr", "history", "site", *common, "--colour", "#ffcc00")
    assert code == 0, out
    assert f"{SPEC.tweets} publications écrites dans {output}" in out
    assert "La couleur #ffcc00 est trop claire pour du texte" in out
    assert (output / "index.html").is_file() and (output / "_redirects").is_file()
    code, out, _err = run("en", "history", "site", *common, "--lang", "en")
    assert code == 0 and f"{SPEC.tweets} posts written to {output}" in out
    assert '<html lang="en">' in (output / "about.html").read_text(encoding="utf-8")


def test_site_command_errors_are_one_line(
    org: Organisation, imported: ArchiveImport, tmp_path: Path
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    cases = [
        (["--import", "999", "--org", org.slug, "--output", str(tmp_path / "a")], "No import 999"),
        (["--import", str(imported.pk), "--org", org.slug, "--output", str(busy)], "not empty"),
        (
            [
                "--import",
                str(imported.pk),
                "--org",
                org.slug,
                "--output",
                str(tmp_path / "b"),
                "--base-url",
                "/a b/",
            ],
            "cannot be the site's address",
        ),
    ]
    for args, message in cases:
        code, _out, err = run("en", "history", "site", *args)
        assert code == 1 and message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert (busy / "notes.txt").read_text() == "mine"
