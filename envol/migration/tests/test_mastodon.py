"""Follow migration on the Mastodon test server: within the account's budget (parks, never
fails, never a 429 it could foresee), relationships read first so that nothing is followed
twice, addresses that resolve to nobody skipped.

The server's clock starts at a fixed noon and envol runs on that same clock (the job engine's
injected clock, passed on to the network adapter), so the daily windows fall at the same place
whatever the hour the tests run at."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from envol.jobs.runner import run_to_end, step
from envol.migration import services
from envol.migration.models import ItemState, JobState, MigrationItem, MigrationJob
from envol.orgs.models import Organisation
from envol.testing.mastodon import MastodonTestServer

from .conftest import accepted_import, mastodon_account_connected

pytestmark = pytest.mark.django_db
NOON = datetime(2031, 12, 31, 12, 0, tzinfo=UTC)  # Mastodon's daily windows end at midnight


@pytest.fixture
def server() -> Iterator[MastodonTestServer]:
    """A server of our own: these tests shrink budgets and move its clock."""
    with MastodonTestServer.start(clock_start=NOON.timestamp()) as own:
        yield own


def clock_of(server: MastodonTestServer) -> Callable[[], datetime]:
    return server.backend.clock.utcnow


def accounts(server: MastodonTestServer, count: int, prefix: str = "partner") -> list[str]:
    addresses = []
    for n in range(count):
        server.create_account(f"{prefix}{n}")
        addresses.append(f"{prefix}{n}@{server.domain}")
    return addresses


class Me:
    def __init__(self, server: MastodonTestServer) -> None:
        account, token = server.create_account("mairie")
        self.id, self.token = account["id"], token
        self.username, self.domain = "mairie", server.domain
        self.api_base_url = server.url
        self.address = f"mairie@{server.domain}"


def run_until_parked_or_done(job: MigrationJob, server: MastodonTestServer) -> MigrationJob:
    for _step in range(100):
        stepped = step(job, clock=clock_of(server))
        if stepped.state not in (JobState.PENDING, JobState.RUNNING):
            break
    job.refresh_from_db()
    return job


def test_existing_follows_unknown_addresses_and_exactly_once(
    org: Organisation, server: MastodonTestServer
) -> None:
    me = Me(server)
    targets = accounts(server, 6)
    server.seed_follow(me.address, targets[0])
    archive = accepted_import(org, "mastodon", [*targets, f"ghost@{server.domain}"], unmatched=2)
    connected = mastodon_account_connected(org, me)

    estimate = services.dry_run(org, archive.pk, connected, "mastodon")
    assert (estimate.to_follow, estimate.already, estimate.unresolved) == (6, 1, 2)

    job = run_to_end(
        services.create_job(org, archive.pk, connected, "mastodon"), clock=clock_of(server)
    )
    assert services.status(job) == {
        "state": "done",
        "done": 5,
        "already": 1,
        "skipped": 1,
        "failed": 0,
        "pending": 0,
    }
    assert job.items.get(state=ItemState.SKIPPED).reason == "not_found"
    assert sorted(server.following(me.address)) == sorted(t.split("@")[0] for t in targets)
    assert server.counters["follows_created"] == 5
    assert server.counters.get("follows_repeated", 0) == 0


def test_a_resumed_job_reads_relationships_and_never_follows_twice(
    org: Organisation, server: MastodonTestServer
) -> None:
    me = Me(server)
    targets = accounts(server, 4)
    connected = mastodon_account_connected(org, me)
    job = services.create_job(
        org, accepted_import(org, "mastodon", targets).pk, connected, "mastodon"
    )
    for _step in range(3):  # starts, resolves the addresses, follows them
        step(job, clock=clock_of(server))
    assert job.items.filter(state=ItemState.DONE).count() == 4
    # A crash after the follows went out but before the answers were recorded:
    MigrationItem.objects.filter(job=job).update(state=ItemState.SENT, attempts=1)
    MigrationJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, due_at=clock_of(server)(), finished_at=None
    )
    job = run_to_end(job, clock=clock_of(server))
    assert (job.state, job.count_done, job.count_already) == (JobState.DONE, 4, 0)
    assert server.counters["follows_created"] == 4
    assert server.counters.get("follows_repeated", 0) == 0  # relationships said "following"


def test_the_daily_follow_budget_parks_the_job_without_failing_anything(
    org: Organisation, server: MastodonTestServer
) -> None:
    server.set_budget("follows", 3)
    me = Me(server)
    targets = accounts(server, 7)
    connected = mastodon_account_connected(org, me)
    job = services.create_job(
        org, accepted_import(org, "mastodon", targets).pk, connected, "mastodon"
    )
    job = run_until_parked_or_done(job, server)
    assert job.state == JobState.WAITING
    assert job.count_failed == 0 and job.count_done == 3
    assert job.resume_at is not None and job.started_at is not None
    assert job.resume_at - job.started_at > timedelta(hours=1)  # the day's window, not minutes
    assert job.resume_at >= NOON.replace(hour=23, minute=59, second=59)  # at midnight
    assert server.counters.get("throttled", 0) == 0
    parked = org.audit_events.filter(action="migration.waiting_rate_limit").values_list(
        "detail", flat=True
    )
    # The server's budget is smaller than Mastodon's published 400 a day: envol learns it from
    # the first answers; a 429 then parks the job like a spent budget does.
    assert {d["reason"] for d in parked} <= {"budget", "429"}

    # Before the reset, a step does nothing; the next day (the one clock moved) it goes on.
    assert not step(job, clock=clock_of(server)).ran
    server.advance_clock((job.resume_at - clock_of(server)()).total_seconds() + 1)
    job = run_until_parked_or_done(job, server)
    assert job.state == JobState.WAITING and job.count_done == 6 and job.count_failed == 0
    server.advance_clock(86400)
    job = run_until_parked_or_done(job, server)
    assert (job.state, job.count_done, job.count_failed) == (JobState.DONE, 7, 0)
    assert server.counters["follows_created"] == 7


def test_the_step_that_sends_the_last_batch_finishes_the_job(
    org: Organisation, server: MastodonTestServer
) -> None:
    """No step (a claim, a reconciliation, a commit) is spent after the last answer only to say
    `done`: a step to start, one to resolve the addresses, one to follow them and finish."""
    me = Me(server)
    connected = mastodon_account_connected(org, me)
    archive = accepted_import(org, "mastodon", accounts(server, 3))
    job = services.create_job(org, archive.pk, connected, "mastodon")
    states = [step(job, clock=clock_of(server)).state for _ in range(3)]
    assert states == [JobState.RUNNING, JobState.RUNNING, JobState.DONE]
    job.refresh_from_db()
    assert (job.count_done, job.count_pending, job.calls) == (3, 0, 2)
    assert server.counters["follows_created"] == 3
