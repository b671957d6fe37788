"""The starter pack on a real Bluesky PDS: records created and valid, updated, never duplicated.

Uses the project's PDS fixtures (`pds`: the server, `.url`; `pds_account`: `.handle`, `.password`,
`.did`). The PDS validates the records against the app.bsky lexicons on write.
"""

from __future__ import annotations

from typing import Any

import pytest

from envol.leaving import services
from envol.leaving.models import StarterPack
from envol.leaving.services import SelectedAccount
from envol.leaving.starter_pack import LIST, LIST_ITEM, STARTER_PACK
from envol.orgs.models import ConnectedAccount, Organisation
from envol.testing.fixtures.pds import connected_bluesky

pytestmark = [pytest.mark.pds, pytest.mark.django_db]


def selection(*numbers: int) -> list[SelectedAccount]:
    return [
        SelectedAccount(str(n), f"Partenaire {n}", f"did:plc:{'p' * 20}{n:04d}", f"p{n}.test", "")
        for n in numbers
    ]


@pytest.fixture
def bluesky(org: Organisation, pds: Any, pds_account: Any) -> ConnectedAccount:
    return connected_bluesky(org, pds, pds_account)


def counts(account: ConnectedAccount) -> dict[str, int]:
    repo = services.bluesky_repository(account)
    return {c: len(list(repo.list_records(c))) for c in (LIST, LIST_ITEM, STARTER_PACK)}


def run(org: Organisation, account: ConnectedAccount, *numbers: int) -> StarterPack:
    pack = services.set_starter_pack(
        org,
        account,
        "Nos partenaires",
        "Les institutions que nous suivons",
        selection(*numbers),
        None,
    )
    services.sync_starter_pack(pack)
    return pack


def test_starter_pack_is_created_then_updated_not_duplicated(
    org: Organisation, bluesky: ConnectedAccount
) -> None:
    first = run(org, bluesky, 1, 2, 3)
    assert counts(bluesky) == {LIST: 1, LIST_ITEM: 3, STARTER_PACK: 1}
    repo = services.bluesky_repository(bluesky)
    [(list_rkey, list_record)] = list(repo.list_records(LIST))
    [(pack_rkey, pack_record)] = list(repo.list_records(STARTER_PACK))
    assert list_record["purpose"] == "app.bsky.graph.defs#curatelist"
    assert pack_record["list"] == first.list_uri == f"at://{bluesky.remote_id}/{LIST}/{list_rkey}"
    assert (list_rkey, pack_rkey) == (first.list_rkey, first.pack_rkey)

    again = run(org, bluesky, 1, 2, 3)
    assert again.pk == first.pk
    assert counts(bluesky) == {LIST: 1, LIST_ITEM: 3, STARTER_PACK: 1}

    run(org, bluesky, 2, 3, 4, 5)  # one removed, two added
    assert counts(bluesky) == {LIST: 1, LIST_ITEM: 4, STARTER_PACK: 1}
    subjects = sorted(v["subject"] for _k, v in repo.list_records(LIST_ITEM))
    assert subjects == sorted(s.bluesky_did for s in selection(2, 3, 4, 5))


def test_lost_save_after_a_write_is_reconciled_not_duplicated(
    org: Organisation, bluesky: ConnectedAccount
) -> None:
    pack = run(org, bluesky, 1, 2)
    # As if the process died after the write but before saving: our rows forget the keys.
    from envol.networks.bluesky import new_tid

    for member in pack.members.all():
        member.rkey = new_tid()
        member.synced = False
        member.save()
    report = services.sync_starter_pack(pack)
    assert report.created == 0 and len(report.adopted) == 2
    assert counts(bluesky) == {LIST: 1, LIST_ITEM: 2, STARTER_PACK: 1}


def test_public_page_links_to_the_starter_pack(
    org: Organisation, bluesky: ConnectedAccount, client: Any
) -> None:
    pack = run(org, bluesky, 1)
    page = services.page_of(org)
    page.published = True
    page.save()
    html = client.get(f"/{org.slug}/").content.decode()
    assert pack.web_url in html
