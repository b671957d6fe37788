"""A feed relayed to a Bluesky account on the real PDS: the post carries the item's link card
(its title and summary from the feed), and a long text is shortened to one post with its link."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.test import override_settings

from envol.orgs.accounts import connect_bluesky
from envol.relays import services
from envol.relays.tests.conftest import T0, poll, publish_queued
from envol.testing.feeds import FeedServer
from envol.testing.pds import PdsServer, TestAccount

pytestmark = [pytest.mark.pds, pytest.mark.django_db(transaction=True)]


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)
def test_feed_items_reach_bluesky_with_their_link_card(
    org, feeds: FeedServer, pds: PdsServer, pds_account: TestAccount
) -> None:
    bluesky = connect_bluesky(org, pds_account.handle, pds_account.password, pds.url)
    feeds.create_feed("news", "Actualités de Relais")
    relay = services.create(
        org, "rss", feeds.feed_url("news"), [(bluesky, "{title} — {text}\n\n{link}")]
    )
    poll(relay, T0)
    summary = " ".join(f"Phrase {n} sur la rénovation de la piscine municipale." for n in range(20))
    item = feeds.add_item("news", "La piscine rouvre", published=T0, summary=summary)
    poll(relay, T0 + timedelta(minutes=10))
    publish_queued()
    records = httpx.get(
        f"{pds.url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": bluesky.remote_id, "collection": "app.bsky.feed.post"},
    ).json()["records"]
    (record,) = records  # one post, not a thread
    value = record["value"]
    assert value["text"].startswith("La piscine rouvre — Phrase 0")
    assert "…" in value["text"] and value["text"].endswith(item.link)
    external = value["embed"]["external"]
    assert value["embed"]["$type"] == "app.bsky.embed.external"
    assert external["uri"] == item.link and external["title"] == "La piscine rouvre"
    assert external["description"].startswith("Phrase 0")
