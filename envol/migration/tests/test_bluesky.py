"""Follow migration on the real PDS: every selected account followed exactly once, existing
follows left alone, items a crash left `sent` reconciled before anything is sent again."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from django.utils import timezone

from envol.cli import main
from envol.insights.models import SnapshotJob
from envol.jobs.budgets import reservation_key
from envol.jobs.runner import run_to_end, step
from envol.migration import services
from envol.migration.drivers import BlueskyDriver
from envol.migration.models import ItemState, JobState, MigrationItem, MigrationJob
from envol.networks.base import FollowRequest, RateLimited
from envol.networks.bluesky import new_tid
from envol.orgs.accounts import network_for
from envol.orgs.models import ConnectedAccount, Organisation

from .conftest import accepted_import, bluesky_connected, random_did
from .test_fairness import second_import

pytestmark = [pytest.mark.pds, pytest.mark.django_db]


@pytest.fixture
def bluesky(org: Organisation, pds: Any, pds_account: Any) -> ConnectedAccount:
    return bluesky_connected(org, pds, pds_account)


def repo_subjects(account: ConnectedAccount) -> list[str]:
    return [follow.subject for follow in network_for(account).list_follows()]


def test_follows_each_selected_account_once_and_leaves_existing_ones(
    org: Organisation, bluesky: ConnectedAccount
) -> None:
    dids = [random_did() for _ in range(450)]
    archive = accepted_import(org, "bluesky", [*dids, dids[0]], unmatched=7)  # one duplicate
    adapter = network_for(bluesky)
    adapter.follow_many([FollowRequest(did, new_tid()) for did in dids[:30]])  # followed before

    estimate = services.dry_run(org, archive.pk, bluesky, "bluesky")
    assert (estimate.selected, estimate.to_follow, estimate.already) == (450, 420, 30)
    assert estimate.unresolved == 7 and estimate.seconds > 0

    job = services.create_job(org, archive.pk, bluesky, "bluesky")
    finished = run_to_end(job)

    assert services.status(finished) == {
        "state": "done",
        "done": 420,
        "already": 30,
        "skipped": 0,
        "failed": 0,
        "pending": 0,
    }
    subjects = repo_subjects(bluesky)
    assert max(Counter(subjects).values()) == 1
    assert set(subjects) == set(dids)
    assert finished.calls == 3  # 420 follows in batches of 200
    item = finished.items.filter(state=ItemState.DONE).first()
    assert item is not None and item.remote_uri.endswith(item.record_key)
    assert run_to_end(job).state == JobState.DONE  # nothing more to do


def test_sent_items_are_reconciled_before_anything_is_sent_again(
    org: Organisation, bluesky: ConnectedAccount
) -> None:
    dids = [random_did() for _ in range(60)]
    job = services.create_job(org, accepted_import(org, "bluesky", dids).pk, bluesky, "bluesky")
    # A crash right after the keys were committed: half the batch reached the repo, half not.
    items = list(job.items.order_by("id"))
    for item in items:
        item.state, item.record_key, item.attempts = ItemState.SENT, new_tid(), 1
    MigrationItem.objects.bulk_update(items, ["state", "record_key", "attempts"])
    adapter = network_for(bluesky)
    adapter.follow_many([FollowRequest(i.subject, i.record_key) for i in items[:30]])

    finished = run_to_end(job)

    assert finished.state == JobState.DONE and finished.count_done == 60
    subjects = repo_subjects(bluesky)
    assert sorted(subjects) == sorted(dids)
    keys = {f.key for f in network_for(bluesky).list_follows()}
    assert keys == {i.record_key for i in items}  # the stored keys, never new ones


def test_malformed_targets_are_skipped_with_the_reason(
    org: Organisation, bluesky: ConnectedAccount
) -> None:
    archive = accepted_import(org, "bluesky", [random_did(), "did:nope", random_did()])
    job = run_to_end(services.create_job(org, archive.pk, bluesky, "bluesky"))
    assert (job.state, job.count_done, job.count_skipped) == (JobState.DONE, 2, 1)
    skipped = job.items.get(state=ItemState.SKIPPED)
    assert (skipped.target, skipped.reason) == ("did:nope", "invalid")
    report = services.report_csv(job).splitlines()
    assert report[0].startswith("x_id,target,handle,state,reason")
    assert any("did:nope" in line and ",skipped,invalid," in line for line in report)


def test_cli_wait_and_status_json(org: Organisation, bluesky: ConnectedAccount) -> None:
    archive = accepted_import(org, "bluesky", [random_did() for _ in range(5)])
    runner = CliRunner()
    dry = runner.invoke(
        main,
        [
            "migrate",
            "follows",
            "--import",
            str(archive.pk),
            "--network",
            "bluesky",
            "--account",
            bluesky.handle,
            "--dry-run",
            "--json",
        ],
    )
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["to_follow"] == 5
    run = runner.invoke(
        main,
        [
            "migrate",
            "follows",
            "--import",
            str(archive.pk),
            "--network",
            "bluesky",
            "--account",
            "@" + bluesky.handle.upper(),
            "--wait",
        ],
    )
    assert run.exit_code == 0, run.output
    job_id = org.migration_jobs.get().pk
    status = runner.invoke(main, ["migrate", "status", str(job_id), "--json"])
    assert json.loads(status.output) == {
        "state": "done",
        "done": 5,
        "already": 0,
        "skipped": 0,
        "failed": 0,
        "pending": 0,
    }
    assert org.checklist_ticks.get(step="follows_migrated").done


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every `listRecords` call this process sends (counted on the way out, sent unchanged)."""
    seen: list[str] = []
    send = httpx.Client.send

    def counting(client: httpx.Client, request: httpx.Request, *args: Any, **kwargs: Any) -> Any:
        if request.url.path.endswith("com.atproto.repo.listRecords"):
            seen.append(str(request.url))
        return send(client, request, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", counting)
    return seen


def test_a_batch_that_never_landed_gives_its_points_back(
    org: Organisation, bluesky: ConnectedAccount, listings: list[str]
) -> None:
    """Issue 13: a worker killed after committing a batch's keys and reserving its points, but
    before the call, used to leave the points charged and the job parked for up to an hour.
    The resumed job looks up only the keys left `sent` (not the whole follow list), finds none,
    gives the points back and goes on at once."""
    dids = [random_did() for _ in range(60)]
    job = services.create_job(org, accepted_import(org, "bluesky", dids).pk, bluesky, "bluesky")
    budgets = services.budgets_for(job, timezone.now)
    assert budgets.reserve("earlier batches", {"write": 4800})
    budgets.settle("earlier batches")
    assert budgets.reserve(reservation_key(job), {"write": 60 * 3})  # the batch in flight…
    items = list(job.items.order_by("id"))
    for item in items:  # …its keys committed, then SIGKILL before applyWrites
        item.state, item.record_key, item.attempts = ItemState.SENT, new_tid(), 1
    MigrationItem.objects.bulk_update(items, ["state", "record_key", "attempts"])
    MigrationJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, existing_listed=True)

    finished = run_to_end(job)

    assert finished.state == JobState.DONE and finished.count_done == 60
    assert not org.audit_events.filter(action="migration.waiting_rate_limit").exists()
    assert listings == []  # two keys looked up, not the repo listed
    assert budgets.reserved(reservation_key(job)) == {}
    assert budgets.view("write").available() == 5000 - 4800 - 60 * 3  # charged once, when sent
    assert {f.key for f in network_for(bluesky).list_follows()} == {i.record_key for i in items}


def test_two_batches_left_sent_are_reconciled_each_on_its_own(
    org: Organisation, bluesky: ConnectedAccount, listings: list[str]
) -> None:
    """While a call is out the next batch is begun, so a crash can leave two batches `sent`:
    the one whose call landed and the one begun meanwhile. Each is looked up by its own keys;
    the first is done, the second sent again with the same keys, its points given back first."""
    dids = [random_did() for _ in range(60)]
    job = services.create_job(org, accepted_import(org, "bluesky", dids).pk, bluesky, "bluesky")
    budgets = services.budgets_for(job, timezone.now)
    items = list(job.items.order_by("id"))
    for number, batch in ((1, items[:30]), (2, items[30:])):
        assert budgets.reserve(reservation_key(job, number), {"write": 30 * 3})
        for item in batch:
            item.state, item.record_key, item.attempts = ItemState.SENT, new_tid(), 1
            item.batch = number
    MigrationItem.objects.bulk_update(items, ["state", "record_key", "attempts", "batch"])
    MigrationJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, existing_listed=True, calls=2
    )
    network_for(bluesky).follow_many([FollowRequest(i.subject, i.record_key) for i in items[:30]])

    finished = run_to_end(job)

    assert finished.state == JobState.DONE and finished.count_done == 60
    assert listings == []  # four keys looked up, two a batch
    assert {f.key for f in network_for(bluesky).list_follows()} == {i.record_key for i in items}
    assert sorted(repo_subjects(bluesky)) == sorted(dids)
    for number in (1, 2, 3):
        assert budgets.reserved(reservation_key(job, number)) == {}
    assert budgets.view("write").available() == 5000 - 30 * 3 - 30 * 3  # each batch charged once
    assert finished.calls == 3


def test_a_step_sends_several_batches_and_a_refused_call_takes_back_the_next(
    org: Organisation, bluesky: ConnectedAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step sends several batches, the next one begun while a call is out. When a call is
    refused (429), the batch begun meanwhile was never sent: it is pending again, its attempt
    and its points given back; the refused batch stays `sent` and is reconciled when the job
    resumes. Nothing is followed twice, nothing lost."""
    dids = [random_did() for _ in range(80)]
    archive = accepted_import(org, "bluesky", dids)
    job = services.create_job(org, archive.pk, bluesky, "bluesky", options={"batch_size": 10})
    adapter = network_for(bluesky)
    real = adapter.follow_many
    sizes: list[int] = []

    def third_refused(requests: Any) -> Any:
        sizes.append(len(requests))
        if len(sizes) == 3:
            raise RateLimited(timezone.now(), 0.0)
        return real(requests)

    monkeypatch.setattr(adapter, "follow_many", third_refused)
    context = {"network": adapter}
    assert step(job, context=context).state == JobState.RUNNING  # pending → running
    assert step(job, context=context).state == JobState.WAITING
    job.refresh_from_db()
    assert sizes == [10, 10, 10] and job.calls == 3  # the fourth begun, never sent
    states = Counter(job.items.values_list("batch", "state"))
    assert states == {
        (1, ItemState.DONE): 10,
        (2, ItemState.DONE): 10,
        (3, ItemState.SENT): 10,
        (4, ItemState.PENDING): 10,
        (0, ItemState.PENDING): 40,
    }
    assert set(job.items.filter(batch=4).values_list("attempts", flat=True)) == {0}
    budgets = services.budgets_for(job, timezone.now)
    assert budgets.reserved(reservation_key(job, 4)) == {}
    assert budgets.view("write").available() == 5000 - 3 * 10 * 3  # the refused call counts

    monkeypatch.setattr(adapter, "follow_many", real)
    MigrationJob.objects.filter(pk=job.pk).update(due_at=timezone.now())
    finished = run_to_end(job, context=context)

    assert finished.state == JobState.DONE and finished.count_done == 80
    subjects = repo_subjects(bluesky)
    assert max(Counter(subjects).values()) == 1 and set(subjects) == set(dids)


def test_a_step_sends_its_batches_unless_another_migration_of_the_account_is_due(
    org: Organisation, bluesky: ConnectedAccount
) -> None:
    """Alone, a step sends the driver's batches in a row; the account's metrics reading being
    due changes nothing (one step of its own), another migration of the account being due makes
    each step one batch, so that the two take even turns."""
    batches = BlueskyDriver.batches_per_step
    archive = accepted_import(org, "bluesky", [random_did() for _ in range(10 * batches + 50)])
    job = services.create_job(org, archive.pk, bluesky, "bluesky", options={"batch_size": 10})
    reading, _created = SnapshotJob.objects.get_or_create(account=bluesky)
    SnapshotJob.objects.filter(pk=reading.pk).update(due_at=timezone.now())
    step(job)  # pending → running
    step(job)
    job.refresh_from_db()
    assert (job.calls, job.count_done) == (batches, 10 * batches)

    services.create_job(org, second_import(archive).pk, bluesky, "bluesky")  # due at once
    step(job)
    job.refresh_from_db()
    assert (job.calls, job.count_done) == (batches + 1, 10 * batches + 10)
