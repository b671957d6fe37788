"""`make demo`'s relay: the demo feed, served by envol itself, relayed to the connected (sandbox)
accounts, its last two items at the first poll, created once however often the demo starts."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from envol.demo import seed_demo_relay
from envol.relays.models import Outcome, RelayItem
from envol.relays.tests.conftest import MastodonTarget, poll, publish_queued

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_relay(org, mastodon_target: MastodonTarget, live_server: Any) -> None:
    relay = seed_demo_relay(org, live_server.url)
    assert relay is not None and seed_demo_relay(org, live_server.url) is None
    poll(relay, timezone.now())
    publish_queued()
    assert RelayItem.objects.filter(relay=relay, outcome=Outcome.RELAYED).count() == 2
    contents = [s["content"] for s in mastodon_target.statuses()]
    assert len(contents) == 2 and "médiathèque" in contents[1] and "encombrants" in contents[0]
