"""Signing in with Bluesky through the real PDS's OAuth provider, in Chromium: PAR, PKCE, DPoP,
the PDS's own sign-in and consent pages, back to envol — then the separate authorisation that
lets envol create follow records, used by an ordinary follow migration (exactly once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import override_settings

from envol.crosswalk.services import import_dataset
from envol.jobs.runner import run_to_end
from envol.migration import services as migration
from envol.migration.models import MigrationJob
from envol.networks import atproto_oauth
from envol.orgs.models import ConnectedAccount, Organisation
from envol.people.models import SignInIdentity
from envol.people.tests.helpers import archive_for, followed_by
from envol.testing.fixtures.browser import screenshot
from envol.testing.pds import PdsServer, TestAccount

pytestmark = [pytest.mark.browser, pytest.mark.pds, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def envol_for(live_server: Any, pds: PdsServer) -> Iterator[str]:
    """envol on 127.0.0.1 (a loopback OAuth client), resolving handles through the test PDS."""
    base = live_server.url.replace("localhost", "127.0.0.1")
    with override_settings(
        PUBLIC_URL=base,
        ENVOL_SIGNUP="open",
        ENVOL_ALLOW_PRIVATE_NETWORKS=True,
        ENVOL_BLUESKY_SERVICE=pds.url,
        ENVOL_PLC_URL=pds.plc_url,
    ):
        yield base


def authorise_on_the_pds(page: Any, account: TestAccount) -> None:
    """The PDS's own pages (@atproto/oauth-provider-ui, in the browser's language): sign in if
    asked, then authorise — each page has one submit button."""
    password = page.locator("input[name=password]")
    authorise = page.locator("button[type=submit]", has_not=page.locator("input"))
    page.locator("button[type=submit]").first.wait_for(timeout=30_000)
    if password.is_visible():
        password.fill(account.password)
        page.locator("button[type=submit]").click()
        password.wait_for(state="detached", timeout=30_000)
    authorise.first.wait_for(timeout=30_000)
    authorise.first.click()


def test_sign_in_then_follow_through_oauth(
    page: Any, envol_for: str, pds: PdsServer, tmp_path: Path
) -> None:
    me = pds.create_account("camille")
    targets = [pds.create_account(f"friend{i}") for i in range(3)]
    page.goto(envol_for + "/signin/")
    page.locator("#id_bluesky-handle").fill(me.handle)
    page.locator("form:has(input[name=network][value=bluesky]) button").click()
    authorise_on_the_pds(page, me)
    page.wait_for_url(f"{envol_for}/o/*/me/accounts/*/", timeout=30_000)
    screenshot(page, "people-consent-fr")
    page.locator("input[name=level][value=followers]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{envol_for}/o/*/me/", timeout=30_000)

    space = Organisation.objects.get(kind="person")
    account = ConnectedAccount.objects.get(organisation=space)
    assert (account.remote_id, account.handle) == (me.did, me.handle)
    assert account.credentials_encrypted == ""  # signing in keeps no token
    assert SignInIdentity.objects.get().remote_id == me.did

    # Camille's archive follows three accounts a dataset links to the PDS's accounts.
    factory = archive_for(space, tmp_path, following=5)
    dataset = tmp_path / "friends.csv"
    dataset.write_text(
        "x_id,bluesky_did\n"
        + "".join(f"{followed_by(factory, i)},{t.did}\n" for i, t in enumerate(targets)),
        encoding="utf-8",
    )
    import_dataset(dataset, "friends", 0.95)
    from envol.people.services import after_import

    after_import(space)

    page.goto(f"{envol_for}/o/{space.slug}/me/follow/")
    page.locator("form:has(input[name=action][value=authorise]) button").click()
    authorise_on_the_pds(page, me)
    page.wait_for_url(f"{envol_for}/o/{space.slug}/me/follow/", timeout=30_000)
    account.refresh_from_db()
    stored = atproto_oauth.OAuthSession.from_json(account.get_credentials()["oauth"])
    assert stored.grants(atproto_oauth.FOLLOW_SCOPE) and stored.did == me.did
    assert stored.access_token not in account.credentials_encrypted  # encrypted at rest
    screenshot(page, "people-follow-fr")
    page.locator("form:has(input[name=action][value=start]) button").click()
    page.wait_for_url(f"{envol_for}/o/{space.slug}/migration/*/", timeout=30_000)

    job = MigrationJob.objects.get(organisation=space)
    job = run_to_end(job, sleep=lambda _s: None)
    assert job.state == "done", migration.status(job)
    follows = httpx.get(
        f"{pds.url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": me.did, "collection": "app.bsky.graph.follow"},
    ).json()["records"]
    assert sorted(r["value"]["subject"] for r in follows) == sorted(t.did for t in targets)
