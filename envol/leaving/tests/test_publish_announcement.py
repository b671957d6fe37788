"""The Bluesky and Mastodon announcements go out through the connected accounts, exactly once,
however many times the button is pressed."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from django.test import Client, override_settings

from envol.jobs.runner import Runner
from envol.leaving import services
from envol.orgs.accounts import connect_bluesky
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.publishing.models import Post
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.pds import PdsServer, TestAccount

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)
def test_button_publishes_each_announcement_once(
    pds: PdsServer, pds_account: TestAccount, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "com@a.test", Role.EDITOR, password="pw-com-123456")
    bluesky = connect_bluesky(org, pds_account.handle, pds_account.password, pds.url)
    masto = mastodon_account("mairie")
    connect_with_token(org, masto.api_base_url, masto.token)
    client = Client()
    client.login(username="com@a.test", password="pw-com-123456")
    for kind in ("bluesky", "mastodon"):
        for _ in range(2):  # a double click
            response = client.post(
                "/o/ville-a/leaving/announce/publish/", {"kind": kind, "lang": "fr"}
            )
            assert response.status_code == 302
    assert Post.objects.filter(organisation=org).count() == 2
    assert set(Post.objects.values_list("state", flat=True)) == {"publishing"}
    for _round in range(2):  # what the workers do with the due posts, run here
        Runner().run_once()
    assert set(Post.objects.values_list("state", flat=True)) == {"done"}
    expected = services.announcement_texts(org, "fr")
    records = httpx.get(
        f"{pds.url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": bluesky.remote_id, "collection": "app.bsky.feed.post"},
    ).json()["records"]
    assert sorted(r["value"]["text"] for r in records) == sorted(expected["bluesky"])
    statuses = httpx.get(
        f"{masto.api_base_url}/api/v1/accounts/{masto.id}/statuses",
        headers={"Authorization": f"Bearer {masto.token}"},
    ).json()
    assert len(statuses) == len(expected["mastodon"])
    page = client.get("/o/ville-a/leaving/announce/?lang=fr").content.decode()
    assert "/post/" in page  # the links to what was published


def test_without_account_the_editor_is_told_what_to_do() -> None:
    org = create_organisation("ville-a", "Ville A")
    with pytest.raises(services.LeavingError, match="Bluesky"):
        services.publish_announcement(org, "fr", "bluesky", None)
