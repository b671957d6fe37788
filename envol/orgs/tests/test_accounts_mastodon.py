"""Connecting a Mastodon account with OAuth + PKCE, against the Mastodon API test server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from django.test import Client, override_settings

from envol.cli import main
from envol.orgs import accounts
from envol.orgs.models import ConnectedAccount, MastodonOAuthApp, Role
from envol.orgs.services import add_member, create_organisation
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.mastodon import MastodonTestServer

pytestmark = pytest.mark.django_db
loopback = override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)


@pytest.fixture
def approving(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> Iterator[MastodonAccount]:
    """A Mastodon user who approves envol at once on the test server's consent page."""
    user = mastodon_account("mairie")
    mastodon_server.auto_approve(user.username)
    yield user
    mastodon_server.auto_approve(None)


@loopback
def test_web_flow_connects_and_reuses_the_registered_app(
    mastodon_server: MastodonTestServer, approving: MastodonAccount
) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "admin@a.test", Role.ADMIN, password="pw-admin-123456")
    client = Client()
    client.login(username="admin@a.test", password="pw-admin-123456")
    for _ in range(2):  # connecting twice registers envol's app on the server only once
        start = client.post("/o/ville-a/accounts/mastodon/", {"instance": mastodon_server.url})
        assert start.status_code == 302
        authorize = start["Location"]
        assert authorize.startswith(mastodon_server.url + "/oauth/authorize?")
        assert "code_challenge=" in authorize
        consent = httpx.get(authorize, follow_redirects=False)
        assert consent.status_code == 302
        back = urlsplit(consent.headers["location"])
        response = client.get(back.path + "?" + back.query)
        assert response.status_code == 302
    assert MastodonOAuthApp.objects.count() == 1
    account = ConnectedAccount.objects.get(organisation=org, network="mastodon")
    assert account.handle == approving.address and account.remote_id == approving.id
    token = account.get_credentials()["access_token"]
    assert token not in account.credentials_encrypted
    assert accounts.network_for(account).whoami().remote_id == approving.id


@loopback
def test_callback_state_is_single_use_and_tied_to_the_session(
    mastodon_server: MastodonTestServer, approving: MastodonAccount
) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "admin@a.test", Role.ADMIN, password="pw-admin-123456")
    add_member(org, "other@a.test", Role.ADMIN, password="pw-other-123456")
    client = Client()
    client.login(username="admin@a.test", password="pw-admin-123456")
    authorize = client.post("/o/ville-a/accounts/mastodon/", {"instance": mastodon_server.url})[
        "Location"
    ]
    back = httpx.get(authorize, follow_redirects=False).headers["location"]
    query = urlsplit(back).query
    intruder = Client()
    intruder.login(username="other@a.test", password="pw-other-123456")
    intruder.get("/connect/mastodon/callback/?" + query)
    assert not ConnectedAccount.objects.exists()  # another session cannot use the state
    client.get("/connect/mastodon/callback/?" + query)
    assert ConnectedAccount.objects.count() == 1
    replay = client.get("/connect/mastodon/callback/?" + query, follow=True)
    assert "start again" in replay.content.decode() or "recommencez" in replay.content.decode()
    assert parse_qs(query)["state"]


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=False)
def test_private_instance_refused_by_default() -> None:
    create_organisation("ville-a", "Ville A")
    with pytest.raises(accounts.AccountError):
        accounts.check_server_url("http://127.0.0.1:3000")


@loopback
def test_cli_out_of_band(
    mastodon_server: MastodonTestServer, approving: MastodonAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_organisation("ville-a", "Ville A")
    seen: dict[str, str] = {}

    def answer_with_code(prompt: str, confirm: bool = False) -> str:
        page = httpx.get(seen["url"]).text
        match = re.search(r"<code>([^<]+)</code>", page)
        assert match, page
        return match.group(1)

    import envol.cli.accounts as cli_accounts
    import envol.orgs.mastodon_accounts as flows

    real_start = flows.start_out_of_band

    def remember(instance: str) -> flows.PendingAuthorization:
        pending = real_start(instance)
        seen["url"] = pending.authorize_url
        return pending

    monkeypatch.setattr(flows, "start_out_of_band", remember)
    monkeypatch.setattr(cli_accounts, "read_secret", answer_with_code)
    result = CliRunner().invoke(
        main,
        ["accounts", "connect", "mastodon", "--org", "ville-a", "--instance", mastodon_server.url],
    )
    assert result.exit_code == 0, result.output
    assert approving.address in result.output
