"""`envol history plan|migrate|status|pause|resume|cancel` as a user runs them, in French and
English, on the real PDS; then the archive site's redirect map sends old X URLs to the posts
now on Bluesky."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.history import services
from envol.history.models import HistoryMigration, MoveState
from envol.orgs.models import Organisation
from envol.portability.models import ArchiveImport
from envol.testing.fixtures.pds import connected_bluesky

pytestmark = [pytest.mark.pds, pytest.mark.django_db(transaction=True)]


def run(language: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"ENVOL_LANGUAGE": language})
    return result.exit_code, result.stdout, result.stderr


def test_plan_then_migrate_then_the_site_points_to_bluesky(
    org: Organisation, imported: ArchiveImport, pds: Any, pds_account: Any, tmp_path: Path
) -> None:
    account = connected_bluesky(org, pds, pds_account)
    common = ["--import", str(imported.pk), "--account", account.handle]
    code, out, err = run("fr", "history", "plan", *common)
    assert code == 0, err
    assert "enregistrements Bluesky" in out and "Durée dans le budget" in out
    assert "archivées" in out
    code, out, err = run("en", "history", "plan", *common)
    assert code == 0 and "Bluesky records" in out and "Time within the account's" in out
    code, out, _err = run("en", "history", "plan", *common, "--json")
    planned = orjson.loads(out)
    assert planned["records"] >= planned["posts"] > 0 and planned["seconds"] > 0

    code, out, err = run("en", "history", "migrate", *common, "--json")
    assert code == 0, err
    job = HistoryMigration.objects.get(pk=orjson.loads(out)["job"])
    assert job.total == planned["records"]
    code, out, _err = run("fr", "history", "pause", str(job.pk))
    assert code == 0 and orjson.loads(out)["state"] == MoveState.PAUSED
    code, _out, err = run("en", "history", "pause", str(job.pk))
    assert code == 1 and "cannot be changed that way" in err
    code, out, _err = run("fr", "history", "resume", str(job.pk))
    assert code == 0 and orjson.loads(out)["state"] == MoveState.PENDING
    job.delete()  # the workers never ran it: start again with --wait

    code, out, err = run("en", "history", "migrate", *common, "--wait")
    assert code == 0, err
    done = orjson.loads(out.strip().splitlines()[-1])
    assert done["state"] == "done" and done["done"] == planned["records"]
    code, out, _err = run("en", "history", "status", "999999")
    assert code == 1

    output = tmp_path / "site"
    services.build_site(imported, output)
    redirects = (output / "_redirects").read_text(encoding="utf-8")
    assert "https://bsky.app/profile/" in redirects
