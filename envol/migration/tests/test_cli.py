"""`envol migrate pause|resume|cancel` as a user runs them: the job's status as JSON, or the
app's refusal in the user's language as a one-line error."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.migration.models import JobState, MigrationJob
from envol.orgs.models import ConnectedAccount, Organisation

from .conftest import accepted_import, random_did

pytestmark = pytest.mark.django_db


def run(language: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"ENVOL_LANGUAGE": language})
    return result.exit_code, result.stdout, result.stderr


def test_pause_resume_cancel_print_the_status_or_the_refusal(org: Organisation) -> None:
    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville.test", remote_id=random_did()
    )
    job = MigrationJob.objects.create(
        organisation=org,
        archive_import=accepted_import(org, "bluesky", [random_did()]),
        account=account,
        network="bluesky",
        total=1,
        count_pending=1,
    )
    code, out, _err = run("en", "migrate", "pause", str(job.pk))
    assert code == 0 and orjson.loads(out)["state"] == JobState.PAUSED
    code, _out, err = run("en", "migrate", "pause", str(job.pk))
    assert code == 1 and "This migration is Paused: it cannot be changed that way." in err
    code, _out, err = run("fr", "migrate", "pause", str(job.pk))
    assert code == 1 and "elle ne peut pas être modifiée ainsi" in err
    code, out, _err = run("en", "migrate", "resume", str(job.pk))
    assert code == 0 and orjson.loads(out) == {"state": "pending", **job.counts()}
    code, out, _err = run("fr", "migrate", "cancel", str(job.pk))
    assert code == 0 and orjson.loads(out)["state"] == JobState.CANCELLED
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.finished_at is not None
