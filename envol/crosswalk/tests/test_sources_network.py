"""Sources confirmed by the real networks: the Bluesky PDS resolves domain handles and bridged
handles; the Mastodon test server confirms bridged addresses."""

from __future__ import annotations

from typing import Any

import pytest

from envol.crosswalk import sources
from envol.crosswalk.lookups import lookup_from
from envol.crosswalk.models import IdentityLink
from envol.crosswalk.tests.conftest import did_for
from envol.networks.bluesky import BlueskyConfig, BlueskyNetwork, HandleLookups
from envol.networks.mastodon import MastodonNetwork
from envol.testing.outbound import loopback

pytestmark = pytest.mark.django_db
NO_LOOKUPS = HandleLookups(txt=lambda name: [], well_known=lambda url: None)


def bluesky_lookup(pds: Any, account: Any) -> sources.Lookup:
    network = BlueskyNetwork.login(
        BlueskyConfig(service=pds.url),
        account.handle,
        account.password,
        lookups=NO_LOOKUPS,
        transport=loopback(),
    )
    return lookup_from(network)


@pytest.mark.pds
def test_domain_handle_resolved_by_the_pds(pds: Any, pds_account: Any) -> None:
    resolve = bluesky_lookup(pds, pds_account)
    accounts = [("4242", "mairie", f"https://{pds_account.handle}/"), ("4343", "x", "nowhere.test")]
    assert sources.record_domain_handles(accounts, resolve) == 1
    link = IdentityLink.objects.get()
    assert (link.x_id, link.remote_id, link.source) == ("4242", pds_account.did, "domain-handle")


def test_bridge_confirmed_on_mastodon(mastodon_account: Any) -> None:
    # A Mastodon account whose address is what Bridgy Fed gives a Bluesky handle.
    bridged = mastodon_account("bridged")
    IdentityLink.objects.create(
        x_id="7",
        network="bluesky",
        remote_id=did_for(7),
        remote_handle=bridged.username,
        source="dataset:d",
        confidence=0.9,
        first_seen="2026-01-01T00:00:00Z",
        last_verified="2026-01-01T00:00:00Z",
    )
    own = mastodon_account("mairie")
    mastodon = MastodonNetwork(own.api_base_url, own.token, transport=loopback())
    confirm = lookup_from(mastodon)
    # the test server's domain stands for bsky.brid.gy: rewrite the address to ask it
    sources.record_bridges(
        resolve_mastodon=lambda address: confirm(address.replace("bsky.brid.gy", bridged.domain))
    )
    link = IdentityLink.objects.get(source="bridge")
    assert link.remote_id == f"{bridged.username}@bsky.brid.gy"
    assert link.confidence == sources.BRIDGE_CONFIRMED_CONFIDENCE
    assert confirm("nobody-here@" + bridged.domain) is None
