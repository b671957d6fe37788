"""Each identity source, offline and with lookups, and the consent rule for self links.

The lookups stand for the networks (a dict of what the network would answer); the tests that
ask a real PDS and the Mastodon test server live in test_sources_network.py."""

from __future__ import annotations

import pytest

from envol.crosswalk import sources
from envol.crosswalk.models import IdentityLink
from envol.crosswalk.sources import RemoteProfile, x_handles_named
from envol.crosswalk.tests.conftest import did_for
from envol.orgs.models import ConnectedAccount
from envol.orgs.services import create_organisation
from envol.portability.models import SourceAccount

pytestmark = pytest.mark.django_db


def network(answers: dict[str, str]) -> sources.Lookup:
    return answers.get


@pytest.fixture
def org_with_accounts() -> tuple[ConnectedAccount, ConnectedAccount]:
    org = create_organisation("ville-a", "Ville A")
    SourceAccount.objects.create(
        organisation=org,
        network="x",
        remote_id="777",
        username="VilleA",
        website="https://ville-a.fr",
    )
    bsky = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville-a.fr", remote_id=did_for(77)
    )
    masto = ConnectedAccount.objects.create(
        organisation=org, network="mastodon", handle="villea", instance_url="https://piaille.fr"
    )
    return bsky, masto


def test_self_link_only_with_consent_and_gone_when_withdrawn(
    org_with_accounts: tuple[ConnectedAccount, ConnectedAccount],
) -> None:
    bsky, masto = org_with_accounts
    assert not IdentityLink.objects.exists()  # off by default: nothing shared
    assert sources.set_self_link_consent(bsky, True)
    assert sources.set_self_link_consent(masto, True)
    links = {
        (lk.network, lk.remote_id, lk.source, lk.confidence) for lk in IdentityLink.objects.all()
    }
    assert links == {
        ("bluesky", did_for(77), "self", 1.0),
        ("mastodon", "villea@piaille.fr", "self", 1.0),
    }
    assert not sources.set_self_link_consent(bsky, False)
    assert list(IdentityLink.objects.values_list("network", flat=True)) == ["mastodon"]


def test_self_link_needs_the_did_or_a_lookup(
    org_with_accounts: tuple[ConnectedAccount, ConnectedAccount],
) -> None:
    bsky, _ = org_with_accounts
    bsky.remote_id = ""
    bsky.save()
    assert not sources.set_self_link_consent(bsky, True)
    assert sources.set_self_link_consent(
        bsky, True, resolve_bluesky=network({"ville-a.fr": did_for(5)})
    )
    assert IdentityLink.objects.get().remote_id == did_for(5)


def test_domain_handle(org_with_accounts: tuple[ConnectedAccount, ConnectedAccount]) -> None:
    resolve = network({"ville-a.fr": did_for(9)})
    accounts = [*sources.archive_profiles(), ("888", "other", "https://www.nowhere.test/x")]
    assert sources.record_domain_handles(accounts, resolve) == 1
    link = IdentityLink.objects.get()
    assert (link.x_id, link.remote_id, link.source) == ("777", did_for(9), "domain-handle")
    assert link.confidence >= 0.9


def test_x_handles_named_in_profiles() -> None:
    text = "Mairie. Ex-twitter: https://twitter.com/VilleA, aussi x.com/@autre — @troisieme sur X"
    assert x_handles_named(text) == {"villea", "autre", "troisieme"}
    assert x_handles_named("https://x.com/home and x.com/intent/follow") == set()


def test_cross_link_medium_and_verified_high(
    org_with_accounts: tuple[ConnectedAccount, ConnectedAccount],
) -> None:
    profiles = [
        RemoteProfile(
            "bluesky", did_for(1), "a.bsky.social", texts=("retrouvez-nous x.com/villea",)
        ),
        RemoteProfile(
            "mastodon",
            "villea@piaille.fr",
            "villea@piaille.fr",
            verified_texts=("https://x.com/VilleA",),
        ),
        RemoteProfile("bluesky", did_for(2), "b.bsky.social", texts=("x.com/unknown_person",)),
    ]
    assert sources.record_cross_links(profiles) == 2
    by_network = {lk.network: lk for lk in IdentityLink.objects.all()}
    assert by_network["bluesky"].confidence == sources.CROSS_LINK_CONFIDENCE
    assert by_network["mastodon"].confidence == sources.VERIFIED_CROSS_LINK_CONFIDENCE
    assert {lk.x_id for lk in by_network.values()} == {"777"}


def test_bridge_candidates_offline_and_confirmed_by_lookup(
    org_with_accounts: tuple[ConnectedAccount, ConnectedAccount],
) -> None:
    bsky, masto = org_with_accounts
    sources.set_self_link_consent(bsky, True)
    sources.set_self_link_consent(masto, True)
    sources.record_bridges()  # offline: a candidate for the Bluesky side only
    bridged = IdentityLink.objects.get(source="bridge")
    assert (bridged.remote_id, bridged.confidence) == ("ville-a.fr@bsky.brid.gy", 0.6)
    sources.record_bridges(
        resolve_mastodon=network({"ville-a.fr@bsky.brid.gy": "1"}),
        resolve_bluesky=network({"villea.piaille.fr.ap.brid.gy": did_for(3)}),
    )
    found = {lk.remote_id: lk.confidence for lk in IdentityLink.objects.filter(source="bridge")}
    assert found == {"ville-a.fr@bsky.brid.gy": 0.9, did_for(3): 0.9}
