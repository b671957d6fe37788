"""A job whose task chain died with its worker is queued again by every worker's recovery loop."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from envol.migration import services
from envol.migration.models import MigrationJob
from envol.migration.tests.conftest import accepted_import, random_did
from envol.orgs.models import ConnectedAccount, Organisation
from envol.recovery import recover_interrupted_work


@pytest.mark.django_db
def test_worker_recovery_requeues_a_job_whose_chain_died(org: Organisation) -> None:
    archive = accepted_import(org, "bluesky", [random_did() for _ in range(3)])
    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville.test", remote_id=random_did()
    )
    job = services.start(services.create_job(org, archive.pk, account, "bluesky"))
    assert recover_interrupted_work() == 0  # its chain is queued: nothing to do
    DBTaskResult.objects.all().delete()  # the worker died and its queue entry with it
    assert recover_interrupted_work() == 1
    job = MigrationJob.objects.get(pk=job.pk)
    assert DBTaskResult.objects.filter(id=job.task_id).exists()
    assert recover_interrupted_work() == 0  # idempotent
