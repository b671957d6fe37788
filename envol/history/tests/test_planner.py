"""The history migration's plan without any network: what `make demo` prints, the same records
(keys and CIDs) however often they are built, and the X URLs a quote is recognised by."""

from __future__ import annotations

import pytest
from django.utils import translation

from envol.demo import plan_demo_history
from envol.history import moving
from envol.orgs.models import ConnectedAccount, Organisation
from envol.portability.models import ArchiveImport

pytestmark = pytest.mark.django_db

DID = "did:plc:abcdefghijklmnopqrstuvwx"


def test_the_demo_plans_a_history_migration(org: Organisation, imported: ArchiveImport) -> None:
    assert plan_demo_history(org, imported) == []  # no Bluesky account: nothing to plan
    ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville.test", remote_id=DID
    )
    with translation.override("en"):
        lines = plan_demo_history(org, imported)
    assert "Bluesky records" in lines[0] and any("rate budget" in line for line in lines)
    with translation.override("fr"):
        assert "enregistrements Bluesky" in plan_demo_history(org, imported)[0]


def test_records_keys_and_cids_are_the_same_every_time(
    org: Organisation, imported: ArchiveImport
) -> None:
    assert imported.source_account is not None

    def build() -> list[tuple[str, int, str, str]]:
        tally = moving.Tally()
        posts = moving.chosen_posts(imported.source_account, moving.Choice())  # type: ignore[arg-type]
        return [(b.x_id, b.part, b.key, b.cid) for b in moving.build_records(posts, DID, {}, tally)]

    first = build()
    assert first == build() and len({key for _x, _p, key, _c in first}) == len(first)
    keys = [key for _x, _p, key, _c in first]
    assert keys == sorted(keys)  # keys sort in the original order


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://twitter.com/ville/status/123", "123"),
        ("https://x.com/ville/status/45/photo/1", "45"),
        ("https://mobile.twitter.com/i/web/status/9", ""),
        ("https://example.org/ville/status/123", ""),
        ("", ""),
    ],
)
def test_quoted_status(url: str, status: str) -> None:
    assert moving.quoted_status(url) == status


def test_the_plan_starts_from_what_the_account_already_spent(
    org: Organisation, imported: ArchiveImport
) -> None:
    from django.utils import timezone

    from envol.jobs.models import AccountBudget
    from envol.networks.ratelimit import BLUESKY_WRITE_POLICIES, RateBudget

    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville.test", remote_id=DID
    )
    fresh = moving.plan(org, imported.pk, account, moving.Choice())
    assert fresh.seconds < 60
    now = timezone.now()
    spent = RateBudget(BLUESKY_WRITE_POLICIES, clock=lambda: now)
    spent.spend(4_998)  # a follow migration used the hour's budget
    AccountBudget.objects.create(account_id=account.pk, action="write", windows=spent.to_state())
    assert moving.plan(org, imported.pk, account, moving.Choice()).seconds > 3_000
