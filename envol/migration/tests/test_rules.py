"""The state machines, the claim on a job, and the time estimate (no network)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from envol.migration import leases
from envol.migration.models import (
    IllegalTransition,
    ItemState,
    JobState,
    MigrationItem,
    MigrationJob,
)
from envol.migration.planning import BLUESKY_PACE, MASTODON_PACE, seconds_to_follow
from envol.orgs.models import Organisation

from .conftest import accepted_import


def test_job_and_item_transitions_refuse_illegal_moves() -> None:
    job = MigrationJob(state=JobState.PENDING)
    job.move_to(JobState.RUNNING)
    job.move_to(JobState.WAITING)
    job.move_to(JobState.RUNNING)
    job.move_to(JobState.DONE)
    with pytest.raises(IllegalTransition):
        job.move_to(JobState.RUNNING)
    with pytest.raises(IllegalTransition):
        MigrationJob(state=JobState.CANCELLED).move_to(JobState.PENDING)
    item = MigrationItem(state=ItemState.PENDING)
    item.move_to(ItemState.SENT)
    item.move_to(ItemState.DONE)
    with pytest.raises(IllegalTransition):
        item.move_to(ItemState.PENDING)
    with pytest.raises(IllegalTransition):
        MigrationItem(state=ItemState.PENDING).move_to(ItemState.DONE)  # never without sending


@pytest.mark.django_db
def test_a_job_is_claimed_by_one_live_process_and_taken_over_from_a_dead_one(
    org: Organisation,
) -> None:
    archive = accepted_import(org, "bluesky", [])
    account = org.accounts.create(network="bluesky", handle="v.test")
    job = MigrationJob.objects.create(
        organisation=org, archive_import=archive, account=account, network="bluesky"
    )
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        host = leases.this_process().split(":")[0]
        MigrationJob.objects.filter(pk=job.pk).update(
            lease_owner=f"{host}:{alive.pid}:other",
            lease_until=leases.timezone.now() + leases.LEASE,
        )
        assert not leases.claim(job.pk)  # a live worker holds it
    finally:
        alive.kill()
        alive.wait()
    assert leases.claim(job.pk)  # its pid is gone: taken over at once, no lease to wait out
    assert MigrationJob.objects.get(pk=job.pk).lease_owner == leases.this_process()
    leases.release(job.pk)
    assert MigrationJob.objects.get(pk=job.pk).lease_owner == ""
    assert os.getpid() == int(leases.this_process().split(":")[1])


def test_time_estimates_follow_the_published_limits() -> None:
    assert seconds_to_follow(0, BLUESKY_PACE) == 0
    assert seconds_to_follow(1000, BLUESKY_PACE) < 60  # within the first hour's 1,666
    two_hours = seconds_to_follow(2000, BLUESKY_PACE)
    assert 3600 <= two_hours < 3700  # the second hour's window
    day = seconds_to_follow(11_666, BLUESKY_PACE)
    assert day < 86400 <= seconds_to_follow(11_667, BLUESKY_PACE)  # 35,000 points a day
    assert 86400 <= seconds_to_follow(401, MASTODON_PACE) < 2 * 86400  # 400 follows a day
