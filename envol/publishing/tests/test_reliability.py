"""SIGKILL of the real `envol worker` while it publishes a thread to Bluesky and Mastodon, again
and again: every part is published exactly once, in order, and the thread holds together."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.test import override_settings
from django.utils import timezone

from envol.orgs.accounts import connect_bluesky
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import add_member, create_organisation
from envol.publishing import services
from envol.publishing.models import Post, Publication
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.pds import PdsServer, TestAccount
from envol.testing.subprocess_db import start_worker

pytestmark = [pytest.mark.pds, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
KILLS = 6
THREAD = "\n\n".join(
    f"Épisode {n} : la médiathèque du quartier {n} ouvre ses portes samedi, avec des ateliers "
    "pour tous les âges, une grainothèque et un espace de jeux vidéo rétro."
    for n in range(1, 13)
)


def settled(post: Post) -> int:
    """Parts that left `pending` (being sent, or confirmed)."""
    return post.publications.exclude(state=Publication.State.PENDING).count()


def bluesky_records(pds: PdsServer, did: str) -> list[dict[str, Any]]:
    records, cursor = [], None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        page = httpx.get(
            f"{pds.url}/xrpc/com.atproto.repo.listRecords",
            params={**params, **({"cursor": cursor} if cursor else {})},
        ).json()
        records += page["records"]
        cursor = page.get("cursor")
        if not cursor or not page["records"]:
            return records


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)
def test_sigkill_while_publishing_never_publishes_a_part_twice(
    pds: PdsServer, pds_account: TestAccount, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    rng = random.Random(20261202)
    org = create_organisation("ville-a", "Ville A")
    bluesky = connect_bluesky(org, pds_account.handle, pds_account.password, pds.url)
    masto = mastodon_account("mairie")
    mastodon = connect_with_token(org, masto.api_base_url, masto.token)
    post = services.queue(services.create_post(org, THREAD, [bluesky, mastodon]))
    parts = post.publications.count()
    assert parts >= 10

    kills = caught_sent = 0
    while kills < KILLS and post.state == Post.State.PUBLISHING:
        before = settled(post)
        worker = start_worker(ENVOL_ALLOW_PRIVATE_NETWORKS="true")
        deadline = time.monotonic() + 120
        while settled(post) == before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.15))
        worker.send_signal(signal.SIGKILL)
        worker.wait()  # reaped: its pid is gone, the next worker takes the post over at once
        kills += 1
        caught_sent += post.publications.filter(state=Publication.State.SENT).exists()
        post.refresh_from_db()
    assert kills >= 3, f"the post was published after {kills} kills: make the thread longer"

    worker = start_worker(ENVOL_ALLOW_PRIVATE_NETWORKS="true")
    try:
        deadline = time.monotonic() + 300
        while post.state == Post.State.PUBLISHING:
            assert time.monotonic() < deadline, "the post was never finished"
            time.sleep(0.1)
            post.refresh_from_db()
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert_published_once(post, pds, masto, bluesky, mastodon)
    print(f"{kills} kills, {caught_sent} with a part sent and not confirmed")


def assert_published_once(
    post: Post,
    pds: PdsServer,
    masto: MastodonAccount,
    bluesky: ConnectedAccount,
    mastodon: ConnectedAccount,
) -> None:
    """Every part of `post` is on the PDS and the Mastodon server exactly once, the Bluesky
    thread holding together."""
    assert post.state == Post.State.DONE, services.outcomes(post)
    rows = {
        account: list(post.publications.filter(account=account).order_by("part_index"))
        for account in (bluesky, mastodon)
    }
    records = bluesky_records(pds, bluesky.remote_id)
    texts = Counter(r["value"]["text"] for r in records)
    assert texts == Counter(row.text for row in rows[bluesky])  # each part once, none twice
    uris = {r["uri"] for r in records}
    for record in records:  # the thread holds: every reply's parent and root were published
        reply = record["value"].get("reply")
        if reply:
            assert reply["parent"]["uri"] in uris and reply["root"]["uri"] in uris
    statuses = httpx.get(
        f"{masto.api_base_url}/api/v1/accounts/{masto.id}/statuses",
        headers={"Authorization": f"Bearer {masto.token}"},
        params={"limit": 40},
    ).json()
    assert sorted(s["id"] for s in statuses) == sorted(r.remote_id for r in rows[mastodon])
    assert len(statuses) == len(rows[mastodon])


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)
def test_a_scheduled_post_goes_out_once_with_two_workers_killed_at_its_time(
    pds: PdsServer, pds_account: TestAccount, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    """The desk's path: written, submitted, approved by another member, scheduled a moment
    ahead; two workers wait for it and are SIGKILLed (one at a time, at random) from the moment
    it falls due while its thread goes out — every part still goes out exactly once."""
    from envol.publishing import workflow
    from envol.publishing.compose import PostInput, save_post

    rng = random.Random(20261203)
    org = create_organisation("ville-b", "Ville B")
    editor = add_member(org, "redaction@b.test", Role.EDITOR).user
    reviewer = add_member(org, "relecture@b.test", Role.REVIEWER).user
    bluesky = connect_bluesky(org, pds_account.handle, pds_account.password, pds.url)
    masto = mastodon_account("mairie-b")
    mastodon = connect_with_token(org, masto.api_base_url, masto.token)
    workers = [start_worker(ENVOL_ALLOW_PRIVATE_NETWORKS="true") for _ in range(2)]
    try:
        planned = timezone.now().replace(microsecond=0) + timedelta(seconds=3)
        chosen = PostInput(text=THREAD, targets=[bluesky, mastodon], planned_at=planned)
        post = save_post(org, editor, chosen)
        workflow.submit_for_review(post, editor)
        workflow.approve(post, reviewer)
        post.refresh_from_db()
        assert post.state == Post.State.SCHEDULED and post.publications.count() >= 10
        deadline = time.monotonic() + 120
        while post.state == Post.State.SCHEDULED:
            assert time.monotonic() < deadline, "the scheduled post never fell due"
            time.sleep(0.005)
            post.refresh_from_db()
        kills = 0
        while kills < KILLS and post.state == Post.State.PUBLISHING:
            before = settled(post)
            deadline = time.monotonic() + 120
            while settled(post) == before and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.1))
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            workers[victim] = start_worker(ENVOL_ALLOW_PRIVATE_NETWORKS="true")
            kills += 1
            post.refresh_from_db()
        assert kills >= 2, f"the post was published after {kills} kills"
        deadline = time.monotonic() + 300
        while post.state in (Post.State.SCHEDULED, Post.State.PUBLISHING):
            assert time.monotonic() < deadline, "the post was never finished"
            time.sleep(0.1)
            post.refresh_from_db()
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    assert_published_once(post, pds, masto, bluesky, mastodon)
    assert all(p.sent_at >= planned for p in post.publications.all())  # none went out early
