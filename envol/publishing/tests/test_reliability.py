"""SIGKILL of the real `envol worker` while it publishes a thread to Bluesky and Mastodon, again
and again: every part is published exactly once, in order, and the thread holds together."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.test import override_settings

from envol.orgs.accounts import connect_bluesky
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.services import create_organisation
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
    print(f"{kills} kills, {caught_sent} with a part sent and not confirmed")
