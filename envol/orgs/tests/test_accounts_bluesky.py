"""Connecting a Bluesky account against a real PDS: web form, CLI, session reuse, bad password."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.test import Client, override_settings

from envol.cli import main
from envol.orgs import accounts
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import add_member, create_organisation
from envol.testing.pds import PdsServer, TestAccount

pytestmark = [pytest.mark.pds, pytest.mark.django_db]
loopback = override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)


@loopback
def test_connect_then_act_with_the_stored_session(pds: PdsServer, pds_account: TestAccount) -> None:
    org = create_organisation("ville-a", "Ville A")
    account = accounts.connect_bluesky(org, pds_account.handle, pds_account.password, pds.url)
    assert account.remote_id == pds_account.did
    assert account.status == ConnectedAccount.Status.OK
    assert pds_account.password not in account.credentials_encrypted
    adapter = accounts.network_for(account)
    assert adapter.whoami().remote_id == pds_account.did


@loopback
def test_wrong_password_is_a_clear_error(pds: PdsServer, pds_account: TestAccount) -> None:
    org = create_organisation("ville-a", "Ville A")
    with pytest.raises(accounts.AccountError, match="mot de passe d’application"):
        accounts.connect_bluesky(org, pds_account.handle, "wrong-pass-word", pds.url)
    assert not ConnectedAccount.objects.exists()


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=False)
def test_private_server_refused_without_the_setting() -> None:
    with pytest.raises(accounts.AccountError):
        accounts.check_server_url("http://127.0.0.1:2583")


@loopback
def test_web_form_connects_and_lists(pds: PdsServer, pds_account: TestAccount) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "admin@a.test", Role.ADMIN, password="pw-admin-123456")
    client = Client()
    client.login(username="admin@a.test", password="pw-admin-123456")
    response = client.post(
        "/o/ville-a/accounts/bluesky/",
        {
            "handle": "@" + pds_account.handle.upper(),
            "app_password": pds_account.password,
            "service": pds.url,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    page = client.get("/o/ville-a/accounts/").content.decode()
    assert pds_account.handle in page and pds_account.password not in page
    bad = client.post(
        "/o/ville-a/accounts/bluesky/",
        {"handle": pds_account.handle, "app_password": "nope-nope", "service": pds.url},
    )
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()


@loopback
def test_viewer_cannot_connect(pds: PdsServer) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "viewer@a.test", Role.VIEWER, password="pw-viewer-123456")
    client = Client()
    client.login(username="viewer@a.test", password="pw-viewer-123456")
    assert client.get("/o/ville-a/accounts/").status_code == 200
    assert client.get("/o/ville-a/accounts/bluesky/").status_code == 404


@loopback
def test_cli_reads_the_app_password_from_stdin(pds: PdsServer, pds_account: TestAccount) -> None:
    create_organisation("ville-a", "Ville A")
    result = CliRunner().invoke(
        main,
        [
            "accounts",
            "connect",
            "bluesky",
            "--org",
            "ville-a",
            "--handle",
            pds_account.handle,
            "--service",
            pds.url,
        ],
        input=pds_account.password + "\n",
    )
    assert result.exit_code == 0, result.output
    assert pds_account.password not in result.output
    listed = CliRunner().invoke(main, ["accounts", "list", "--org", "ville-a"])
    assert pds_account.handle in listed.output
