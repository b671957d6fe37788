"""Relays against the real PDS and the Mastodon test server: a SIGKILL of the real worker during
a relay batch publishes no item twice, and two relays running the opposite ways on one
organisation (Bluesky → Mastodon, Mastodon → Bluesky) carry each item once and echo nothing."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.test import override_settings
from django.utils import timezone

from envol.orgs.accounts import connect_bluesky
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.services import create_organisation
from envol.publishing.models import Post, Publication
from envol.relays import services
from envol.relays.models import Outcome, Relay, RelayItem
from envol.relays.tests.conftest import poll, publish_queued
from envol.testing.faketime import skip_other_clocks_under_fake_clock
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.pds import PdsServer, TestAccount
from envol.testing.subprocess_db import start_worker

pytestmark = [pytest.mark.pds, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def post_on_bluesky(pds: PdsServer, account: TestAccount, text: str) -> str:
    """A post written on the PDS directly (by the account's own app, not by envol)."""
    record = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    with pds.client(account) as http:
        answer = http.post(
            "/xrpc/com.atproto.repo.createRecord",
            json={"repo": account.did, "collection": "app.bsky.feed.post", "record": record},
        )
    answer.raise_for_status()
    return str(answer.json()["uri"])


def post_on_mastodon(account: MastodonAccount, text: str) -> None:
    httpx.post(
        f"{account.api_base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {account.token}"},
        data={"status": text, "visibility": "public"},
    ).raise_for_status()


def bluesky_texts(pds: PdsServer, did: str) -> Counter[str]:
    texts: Counter[str] = Counter()
    cursor = None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        page = httpx.get(
            f"{pds.url}/xrpc/com.atproto.repo.listRecords",
            params={**params, **({"cursor": cursor} if cursor else {})},
        ).json()
        texts.update(r["value"]["text"] for r in page["records"])
        cursor = page.get("cursor")
        if not cursor or not page["records"]:
            return texts


def mastodon_texts(account: MastodonAccount) -> Counter[str]:
    texts: Counter[str] = Counter()
    url: str | None = f"{account.api_base_url}/api/v1/accounts/{account.id}/statuses"
    query: dict[str, Any] | None = {"limit": 40}
    while url:
        answer = httpx.get(url, params=query)
        page = answer.json()
        texts.update(s["content"] for s in page)
        link = answer.links.get("next")
        url, query = (link["url"], None) if link and page else (None, None)
    return texts


def first_line(value: str) -> str:
    """A relayed text's first line (the source's text; the link follows)."""
    return value.removeprefix("<p>").split("</p>", 1)[0].split("\n", 1)[0]


def relay_between(
    org: Organisation, kind: str, source: str, target: ConnectedAccount, items: int
) -> Relay:
    relay = services.create(
        org, kind, source, [(target, "{text}")], max_per_hour=items * 2, interval_minutes=1
    )
    return poll(relay, timezone.now())  # the baseline: only what comes next is relayed


def progress(relay: Relay) -> int:
    handed = RelayItem.objects.filter(relay=relay).exclude(outcome=Outcome.WAITING).count()
    settled = Publication.objects.exclude(state=Publication.State.PENDING).count()
    return handed + settled


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)
def test_sigkill_during_a_relay_batch_publishes_each_item_once(
    pds: PdsServer,
    pds_account_factory: Callable[..., TestAccount],
    mastodon_account: Callable[..., MastodonAccount],
) -> None:
    items, kills_wanted = 15, 4
    rng = random.Random(20261202)
    org = create_organisation("ville-k", "Ville K")
    source = pds_account_factory("source")
    masto = mastodon_account("cible")
    target = connect_with_token(org, masto.api_base_url, masto.token)
    with override_settings(ENVOL_BLUESKY_SERVICE=pds.url, ENVOL_PLC_URL=pds.plc_url):
        relay = relay_between(org, "bluesky", source.handle, target, items)
    texts = [f"Annonce n°{n} de la ville" for n in range(items)]
    for text in texts:
        post_on_bluesky(pds, source, text)
    Relay.objects.filter(pk=relay.pk).update(due_at=timezone.now())

    kills = 0
    while kills < kills_wanted:
        before = progress(relay)
        worker = start_worker(ENVOL_ALLOW_PRIVATE_NETWORKS="true")
        deadline = time.monotonic() + 120
        while progress(relay) == before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.1))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills += 1

    def finished() -> bool:
        waiting = RelayItem.objects.filter(relay=relay, outcome=Outcome.WAITING).exists()
        busy = Post.objects.filter(state=Post.State.PUBLISHING).exists()
        relayed = RelayItem.objects.filter(relay=relay, outcome=Outcome.RELAYED).count()
        return relayed == items and not waiting and not busy

    worker = start_worker(ENVOL_ALLOW_PRIVATE_NETWORKS="true")
    try:
        deadline = time.monotonic() + 300
        while not finished():
            assert time.monotonic() < deadline, "the relay never finished"
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    published = Counter(first_line(text) for text in mastodon_texts(masto).elements())
    assert published == Counter(texts)  # each item once, none twice
    assert Post.objects.filter(origin__startswith=f"relay:{relay.pk}:").count() == items
    assert all(p.state == Post.State.DONE for p in Post.objects.all())


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)
def test_two_relays_the_opposite_ways_carry_each_item_once_and_echo_nothing(
    pds: PdsServer, pds_account: TestAccount, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    skip_other_clocks_under_fake_clock()  # items older than the relay's window are skipped
    per_side = 50  # 100 items in all
    org = create_organisation("ville-b", "Ville B")
    bluesky = connect_bluesky(org, pds_account.handle, pds_account.password, pds.url)
    masto = mastodon_account("mairie")
    mastodon = connect_with_token(org, masto.api_base_url, masto.token)
    with override_settings(ENVOL_BLUESKY_SERVICE=pds.url, ENVOL_PLC_URL=pds.plc_url):
        to_mastodon = relay_between(org, "bluesky", pds_account.handle, mastodon, per_side)
    profile = f"{masto.api_base_url}/@{masto.username}"
    to_bluesky = relay_between(org, "mastodon", profile, bluesky, per_side)

    from_bluesky = [f"Depuis Bluesky, nouvelle {n}" for n in range(per_side)]
    from_mastodon = [f"Depuis Mastodon, nouvelle {n}" for n in range(per_side)]
    for first, second in zip(from_bluesky, from_mastodon, strict=True):  # both sides at once
        post_on_bluesky(pds, pds_account, first)
        post_on_mastodon(masto, second)

    moment = timezone.now()
    for _round in range(4):  # polls both ways, publishing in between, until nothing moves
        moment += timedelta(minutes=2)
        poll(to_mastodon, moment)
        poll(to_bluesky, moment)
        publish_queued()

    on_bluesky = bluesky_texts(pds, bluesky.remote_id)
    on_mastodon = Counter(first_line(t) for t in mastodon_texts(masto).elements())
    assert on_bluesky == Counter(from_bluesky + from_mastodon)  # each once, no echo
    assert on_mastodon == Counter(from_bluesky + from_mastodon)
    echoes = RelayItem.objects.filter(reason="echo")
    assert echoes.filter(relay=to_bluesky).count() == per_side  # envol's own posts recognised
    assert echoes.filter(relay=to_mastodon).count() == per_side
    assert Post.objects.count() == 2 * per_side
