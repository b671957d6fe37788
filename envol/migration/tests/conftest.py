"""Builders for the migration tests: an organisation, an archive import whose following has
accepted matches, and connected accounts on the real test servers (PDS, Mastodon test server)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import pytest
from django.utils import timezone

from envol.crosswalk.models import Band, Decision, Match
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.services import create_organisation
from envol.portability.models import ArchiveImport, Relation, SourceAccount
from envol.testing.fixtures.pds import connected_bluesky

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def random_did() -> str:
    return "did:plc:" + "".join(secrets.choice(ALPHABET) for _ in range(24))


@pytest.fixture
def org(db: None) -> Organisation:
    return create_organisation(f"ville-{secrets.token_hex(3)}", "Ville d'Exemple")


def accepted_import(
    org: Organisation, network: str, targets: Sequence[str], *, unmatched: int = 0
) -> ArchiveImport:
    """An archive import following len(targets) + unmatched accounts on X, `targets` accepted
    on `network` (DIDs, or Mastodon addresses)."""
    source, _ = SourceAccount.objects.get_or_create(
        organisation=org, network="x", remote_id=f"9{org.pk}", defaults={"username": org.slug}
    )
    archive = ArchiveImport.objects.create(
        organisation=org, source_account=source, state=ArchiveImport.State.DONE
    )
    count = len(targets) + unmatched
    Relation.objects.bulk_create(
        [
            Relation(source_account=source, kind="following", remote_id=str(1000 + n))
            for n in range(count)
        ]
    )
    relations = list(Relation.objects.filter(source_account=source).order_by("remote_id"))
    now = timezone.now()
    Match.objects.bulk_create(
        [
            Match(
                archive_import=archive,
                relation=relation,
                network=network,
                kind="following",
                x_id=relation.remote_id,
                remote_id=target,
                remote_handle=f"h{n}.test" if network == "bluesky" else target,
                confidence=0.95,
                band=Band.AUTO,
                source="dataset:test",
                decision=Decision.ACCEPTED,
                computed_at=now,
            )
            for n, (relation, target) in enumerate(zip(relations, targets, strict=False))
        ]
    )
    return archive


bluesky_connected = connected_bluesky


def mastodon_account_connected(org: Organisation, account: Any) -> ConnectedAccount:
    """A Mastodon connection as the OAuth flow leaves it (the flow has its own tests)."""
    connected = ConnectedAccount.objects.create(
        organisation=org,
        network="mastodon",
        handle=account.address,
        remote_id=account.id,
        instance_url=account.api_base_url,
    )
    connected.set_credentials({"access_token": account.token})
    connected.save()
    return connected
