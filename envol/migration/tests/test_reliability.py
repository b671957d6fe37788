"""Reliability on the real PDS: SIGKILL of the real `envol worker` at random moments never
produces a duplicate follow nor loses one (the next worker takes the dead one's job over at once,
nothing to re-enqueue); a migration larger than the hourly write budget parks until the window
resets, with no failed item and no 429."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from envol.jobs.runner import step
from envol.migration import services
from envol.migration.models import ItemState, JobState, MigrationJob
from envol.networks.ratelimit import BLUESKY_WRITE_COSTS
from envol.orgs.accounts import network_for
from envol.orgs.models import Organisation
from envol.testing.subprocess_db import start_worker

from .conftest import accepted_import, bluesky_connected, random_did

pytestmark = [pytest.mark.pds, pytest.mark.slow]

FOLLOWS = 2000
KILLS = 20


def moved(job: MigrationJob) -> int:
    """Items that left `pending` (keys written, or settled)."""
    return job.items.exclude(state=ItemState.PENDING).count()


def wait_until_done(job: MigrationJob, timeout: float) -> MigrationJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_active:
            return job
        time.sleep(0.2)
    raise AssertionError(
        f"job still {job.state} after {timeout} s: {services.status(job)}, due {job.due_at}, "
        f"held by {job.lease_owner!r} until {job.lease_until}, {job.consecutive_errors} errors: "
        f"{job.last_error}"
    )


@pytest.mark.django_db(transaction=True)
def test_sigkill_of_the_worker_never_duplicates_nor_loses_a_follow(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    rng = random.Random(20261123)
    account = bluesky_connected(org, pds, pds_account)
    dids = [random_did() for _ in range(FOLLOWS)]
    archive = accepted_import(org, "bluesky", dids)
    # Small batches make many steps, so that the kills land in every phase of a step.
    job = services.create_job(
        org, archive.pk, account, "bluesky", options={"batch_size": 10, "published_limits": False}
    )
    services.start(job)
    kills = caught_sent = 0
    while kills < KILLS:
        # Kill at a random instant shortly after the new worker starts moving items (keys
        # written, batch in flight, results being saved…). Tied to progress rather than to the
        # clock, so that a fast or a slow machine gets the same number of kills mid-job.
        before = moved(job)
        worker = start_worker()
        deadline = time.monotonic() + 60
        while moved(job) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.08))
        worker.send_signal(signal.SIGKILL)
        worker.wait()  # reaped: its pid no longer exists, so its claim is taken over at once
        kills += 1
        job.refresh_from_db()
        caught_sent += job.items.filter(state=ItemState.SENT).exists()
        if not job.is_active:
            break
    assert kills == KILLS, f"the job ended after {kills} kills: make the batches smaller"
    worker = start_worker()
    try:
        job = wait_until_done(job, timeout=600)  # a deadline, not a measure: machines differ
    finally:
        worker.terminate()
        worker.wait(timeout=10)

    subjects = [follow.subject for follow in network_for(account).list_follows()]
    duplicates = [s for s, n in Counter(subjects).items() if n > 1]
    assert duplicates == []
    assert set(subjects) == set(dids)
    assert services.status(job) == {
        "state": "done",
        "done": FOLLOWS,
        "already": 0,
        "skipped": 0,
        "failed": 0,
        "pending": 0,
    }
    print(f"{kills} kills, {caught_sent} with a batch in flight (sent, then reconciled)")


@pytest.mark.django_db
def test_a_migration_larger_than_the_hourly_budget_parks_then_finishes(
    org: Organisation, pds_rate_limited: Any
) -> None:
    pds_rate_limited.restart()  # fresh in-memory counters
    account = bluesky_connected(org, pds_rate_limited, pds_rate_limited.create_account("lim"))
    hourly = 5000 // BLUESKY_WRITE_COSTS["create"]  # 1,666 follows
    dids = [random_did() for _ in range(hourly + 100)]
    job = services.create_job(org, accepted_import(org, "bluesky", dids).pk, account, "bluesky")
    began = time.time()
    for _step in range(50):
        if step(job).state not in (JobState.PENDING, JobState.RUNNING):
            break
    job.refresh_from_db()
    assert job.state == JobState.WAITING
    assert (job.count_done, job.count_failed, job.count_pending) == (hourly, 0, 100)
    assert job.items.filter(state=ItemState.SENT).count() == 0
    parked = org.audit_events.get(action="migration.waiting_rate_limit")
    assert parked.detail["reason"] == "budget"  # foreseen: no 429 was needed
    # The resume time is the end of the PDS's hourly window (it opened with the first write).
    assert job.resume_at is not None
    opened_by = began + 3600
    assert opened_by - 60 <= job.resume_at.timestamp() <= time.time() + 3600 + 2
    # Before the reset, a step does nothing.
    assert not step(job).ran
    assert job.items.filter(state=ItemState.PENDING).count() == 100

    pds_rate_limited.restart()  # its limits are in memory: the window "has passed"
    later = job.resume_at + timedelta(seconds=1)
    for _step in range(10):
        if step(job, clock=lambda: later).state == JobState.DONE:
            break
    job.refresh_from_db()
    assert services.status(job) == {
        "state": "done",
        "done": hourly + 100,
        "already": 0,
        "skipped": 0,
        "failed": 0,
        "pending": 0,
    }
    subjects = [f.subject for f in network_for(account).list_follows()]
    assert sorted(subjects) == sorted(dids)
