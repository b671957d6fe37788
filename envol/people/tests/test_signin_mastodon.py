"""Signing in with Mastodon, against the Mastodon API test server's OAuth (PKCE): the narrowest
scope for who you are, a separate authorisation (follows only) to migrate follows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client, override_settings

from envol.orgs import accounts
from envol.orgs.models import ConnectedAccount, Organisation
from envol.people.models import Invitation, SignInIdentity
from envol.people.services import create_invitation
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.mastodon import MastodonTestServer

pytestmark = pytest.mark.django_db
open_signup = override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True, ENVOL_SIGNUP="open")


@pytest.fixture
def approving(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> Iterator[MastodonAccount]:
    user = mastodon_account("camille")
    mastodon_server.auto_approve(user.username)
    yield user
    mastodon_server.auto_approve(None)


def through_mastodon(client: Client, start: httpx.Response | object) -> tuple[str, object]:
    """Follow the authorisation to the test server and back; (scope asked, envol's answer)."""
    authorize = start["Location"]  # type: ignore[index]
    scope = parse_qs(urlsplit(authorize).query)["scope"][0]
    consent = httpx.get(authorize, follow_redirects=False)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    return scope, client.get(back.path + "?" + back.query)


def sign_in(client: Client, server: MastodonTestServer, **extra: str) -> tuple[str, object]:
    start = client.post("/signin/", {"network": "mastodon", "mastodon-server": server.url, **extra})
    assert start.status_code == 302, start.content.decode()
    return through_mastodon(client, start)


@open_signup
def test_sign_in_opens_a_personal_space_with_the_narrowest_scope(
    mastodon_server: MastodonTestServer, approving: MastodonAccount
) -> None:
    client = Client()
    scope, answer = sign_in(client, mastodon_server)
    assert scope == "profile"  # the server says 4.4: only verify_credentials
    space = Organisation.objects.get(kind=Organisation.Kind.PERSON)
    account = ConnectedAccount.objects.get(organisation=space)
    assert answer["Location"] == f"/o/{space.slug}/me/accounts/{account.pk}/"  # consent first
    assert (account.handle, account.remote_id) == (approving.address, approving.id)
    assert account.credentials_encrypted == ""  # signing in keeps no token
    identity = SignInIdentity.objects.get()
    assert identity.remote_id == approving.address.lower()
    assert not identity.user.has_usable_password()
    membership = space.memberships.get()
    assert membership.user == identity.user and membership.role == "admin"
    # The same person again: the same space, no second one.
    second = Client()
    sign_in(second, mastodon_server)
    assert Organisation.objects.filter(kind="person").count() == 1
    assert second.get(f"/o/{space.slug}/me/").status_code == 200


@open_signup
def test_follow_authorisation_asks_for_follows_only_and_is_kept(
    mastodon_server: MastodonTestServer, approving: MastodonAccount
) -> None:
    client = Client()
    sign_in(client, mastodon_server)
    space = Organisation.objects.get(kind="person")
    account = ConnectedAccount.objects.get(organisation=space)
    from envol.people import signin

    request = client.get(f"/o/{space.slug}/me/").wsgi_request
    url = signin.begin_mastodon(request, mastodon_server.url, "follow")
    request.session.save()
    scope, answer = through_mastodon(client, {"Location": url})
    assert scope == "profile read:accounts read:follows write:follows"
    assert answer["Location"] == f"/o/{space.slug}/me/follow/"
    account.refresh_from_db()
    assert accounts.network_for(account).whoami().remote_id == approving.id


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True, ENVOL_SIGNUP="closed")
def test_closed_instance_opens_no_space(
    mastodon_server: MastodonTestServer, approving: MastodonAccount
) -> None:
    client = Client()
    _scope, answer = sign_in(client, mastodon_server)
    assert answer["Location"] == "/signin/"
    assert not Organisation.objects.filter(kind="person").exists()
    page = client.get("/signin/").content.decode()
    assert "n’ouvre pas d’espaces personnels" in page  # the refusal, in the reader's language


@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True, ENVOL_SIGNUP="invite")
def test_invitation_opens_one_space_once(
    mastodon_server: MastodonTestServer,
    mastodon_account: Callable[..., MastodonAccount],
) -> None:
    code = create_invitation("for Camille")
    first, second = mastodon_account("first"), mastodon_account("second")
    mastodon_server.auto_approve(first.username)
    sign_in(Client(), mastodon_server)  # no invitation: refused
    assert not Organisation.objects.filter(kind="person").exists()
    sign_in(Client(), mastodon_server, invite=code)
    assert Organisation.objects.filter(kind="person").count() == 1
    assert Invitation.objects.get().used_at is not None
    mastodon_server.auto_approve(second.username)
    sign_in(Client(), mastodon_server, invite=code)  # already used
    mastodon_server.auto_approve(None)
    assert Organisation.objects.filter(kind="person").count() == 1


@open_signup
def test_connecting_someone_elses_account_is_refused(
    mastodon_server: MastodonTestServer, approving: MastodonAccount
) -> None:
    from envol.people.tests.helpers import person

    sign_in(Client(), mastodon_server)  # Camille's Mastodon account opens Camille's space
    other, other_space, _account = person("dominique.test", "did:plc:" + "d" * 24)
    client = Client()
    client.force_login(other)
    start = client.post("/signin/", {"network": "mastodon", "mastodon-server": mastodon_server.url})
    _scope, answer = through_mastodon(client, start)
    assert answer["Location"] == f"/o/{other_space.slug}/me/"  # back, with the refusal
    identity = SignInIdentity.objects.get(network="mastodon")
    assert identity.user != other  # still Camille's
    assert not ConnectedAccount.objects.filter(
        organisation=other_space, network="mastodon"
    ).exists()
