"""Fairness between people (issue 19): one person's large follow migration must not delay
another's small one. A large account with two large migrations (many small batches), then a
small account's small migration created last; two workers (two runners in threads, as two
worker processes would) taking two due jobs a round. Each step is one batch and a stepped job
goes back in line, turns going round by account, so the small migration finishes first. A
runner that took the oldest job to its end (a task queue running one long task per job) would
finish a large one first: the test can fail. The engine's own test of turns by account against
turns by job is `envol/jobs/tests/test_runner.py` (several jobs of one account)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connection

from envol.crosswalk.models import Match
from envol.jobs.runner import Runner
from envol.migration import services
from envol.migration.jobs import FOLLOW_MIGRATION
from envol.migration.models import JobState, MigrationJob
from envol.orgs.services import create_organisation
from envol.portability.models import ArchiveImport
from envol.testing.mastodon import MastodonTestServer

from .conftest import accepted_import, mastodon_account_connected
from .test_mastodon import NOON, Me, accounts, clock_of

pytestmark = pytest.mark.django_db(transaction=True)
FINISHED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@pytest.fixture
def server() -> Iterator[MastodonTestServer]:
    with MastodonTestServer.start(clock_start=NOON.timestamp()) as own:
        yield own


class Someone(Me):
    def __init__(self, server: MastodonTestServer, username: str) -> None:
        account, token = server.create_account(username)
        self.id, self.token = account["id"], token
        self.username, self.domain = username, server.domain
        self.api_base_url = server.url
        self.address = f"{username}@{server.domain}"


def second_import(archive: ArchiveImport) -> ArchiveImport:
    """Another import of the same account with the same accepted matches (a second job)."""
    again = ArchiveImport.objects.create(
        organisation_id=archive.organisation_id,
        source_account_id=archive.source_account_id,
        state=ArchiveImport.State.DONE,
    )
    matches = list(Match.objects.filter(archive_import=archive))
    for match in matches:
        match.pk = None
        match.archive_import = again
    Match.objects.bulk_create(matches)
    return again


def test_a_small_migration_finishes_before_another_accounts_large_ones(
    server: MastodonTestServer,
) -> None:
    big_org = create_organisation("grande-ville", "Grande ville")
    small_org = create_organisation("petite-ville", "Petite ville")
    big_account = mastodon_account_connected(big_org, Me(server))
    small_account = mastodon_account_connected(small_org, Someone(server, "mairie-petite"))

    partners = accounts(server, 20)  # within the account's 300 requests / 5 min: no parking
    small_batches = {"batch_size": 5}  # many steps for a large job, a few for a small one
    first = accepted_import(big_org, "mastodon", partners)
    big_jobs = [
        services.create_job(big_org, archive.pk, big_account, "mastodon", options=small_batches)
        for archive in (first, second_import(first))
    ]
    small_archive = accepted_import(small_org, "mastodon", partners[:3])
    small_job = services.create_job(
        small_org, small_archive.pk, small_account, "mastodon", options=small_batches
    )

    order: list[int] = []
    lock = threading.Lock()

    def worker(runner: Runner) -> None:
        try:
            for _round in range(400):
                if not MigrationJob.objects.exclude(state__in=FINISHED).exists():
                    return
                runner.run_once()
                with lock:
                    for job in MigrationJob.objects.filter(state__in=FINISHED):
                        if job.pk not in order:
                            order.append(job.pk)
        finally:
            connection.close()

    runners = [Runner([FOLLOW_MIGRATION], clock=clock_of(server), round_size=2) for _ in range(2)]
    threads = [threading.Thread(target=worker, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    states = dict(MigrationJob.objects.values_list("pk", "state"))
    assert all(state == JobState.DONE for state in states.values()), states
    assert order[0] == small_job.pk, (order, [job.pk for job in big_jobs])
