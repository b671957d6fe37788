"""Relays against real parts: the local feed server, the Mastodon test server, the real PDS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from django.test import override_settings

from envol.jobs.runner import run_to_end, step
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import ConnectedAccount, Organisation, Role
from envol.orgs.services import add_member, create_organisation
from envol.publishing.models import Post
from envol.relays.models import Relay
from envol.testing.feeds import FeedServer
from envol.testing.fixtures.mastodon import MastodonAccount

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris


@pytest.fixture
def allow_loopback() -> Iterator[None]:
    with override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True):
        yield


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer.start() as server:
        yield server


@pytest.fixture
def org() -> Organisation:
    made = create_organisation("ville-relais", "Ville de Relais")
    add_member(made, "admin@relais.test", Role.ADMIN)
    add_member(made, "editrice@relais.test", Role.EDITOR)
    return made


@dataclass(frozen=True)
class MastodonTarget:
    account: ConnectedAccount
    remote: MastodonAccount

    def statuses(self, **params: Any) -> list[dict[str, Any]]:
        """Every status of the account, newest first (all pages)."""
        found: list[dict[str, Any]] = []
        url: str | None = f"{self.remote.api_base_url}/api/v1/accounts/{self.remote.id}/statuses"
        query: dict[str, Any] | None = {"limit": 40, **params}
        while url:
            response = httpx.get(
                url, params=query, headers={"Authorization": f"Bearer {self.remote.token}"}
            )
            found += response.json()
            link = response.links.get("next")
            url, query = (link["url"], None) if link and response.json() else (None, None)
        return found


@pytest.fixture
def mastodon_target(
    org: Organisation, mastodon_account: Callable[..., MastodonAccount], allow_loopback: None
) -> MastodonTarget:
    remote = mastodon_account("mairie")
    return MastodonTarget(connect_with_token(org, remote.api_base_url, remote.token), remote)


def poll(relay: Relay, at: datetime, **context: Any) -> Relay:
    """One step of the relay at `at` (the engine's clock), as a worker's runner makes it; the
    relay is made due first (a test moves through time faster than its schedule)."""
    Relay.objects.filter(pk=relay.pk).update(due_at=at)
    step(relay, clock=lambda: at, context=context)
    relay.refresh_from_db()
    return relay


def publish_queued() -> list[Post]:
    """Publish every post the relays handed over (publishing's own job, to the end)."""
    posts = list(Post.objects.filter(state=Post.State.PUBLISHING).order_by("pk"))
    return [run_to_end(post) for post in posts]
