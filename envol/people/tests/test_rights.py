"""Data rights: download everything envol holds about a person (JSON), delete their space at
once — their links leave the crosswalk (and the public feed), their imported data goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from envol.crosswalk.models import ConsentLevel, IdentityLink, Match
from envol.orgs.models import AuditEvent, ConnectedAccount, Organisation
from envol.people import services
from envol.people.models import SignInIdentity
from envol.people.tests.helpers import archive_for, did_for, followed_by, person
from envol.portability.models import ArchivedPost, ArchiveImport, Relation, SourceAccount
from envol.sharing.models import FeedChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def dominique(tmp_path: Path) -> dict[str, object]:
    _camille, camille_space, _ = person("camille.test", did_for(1))
    camille_archive = archive_for(camille_space, tmp_path, seed=11)
    user, space, account = person("dominique.test", did_for(2))
    account.set_credentials({"access_token": "secret-token-never-exported"})
    account.save()
    services.set_consent(account, ConsentLevel.PUBLIC)
    archive_for(space, tmp_path, x_id=followed_by(camille_archive, 1), seed=12)
    client = Client()
    client.force_login(user)
    return {"user": user, "space": space, "camille": camille_space, "client": client}


def test_download_holds_everything_and_no_secret(dominique: dict[str, object]) -> None:
    space = dominique["space"]
    response = dominique["client"].get(f"/o/{space.slug}/me/data/envol-my-data.json")  # type: ignore[union-attr]
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    data = json.loads(raw)
    assert data["format"] == "envol-personal-data/1"
    assert data["sign_in_identities"][0]["remote_id"] == did_for(2)
    assert data["consents"][0]["level"] == "public"
    assert data["links_in_the_crosswalk"][0]["source"] == "self-public"
    assert (
        len(data["relations"])
        == Relation.objects.filter(source_account__organisation=space).count()
        > 0
    )
    assert len(data["posts"]) == 3
    assert b"secret-token-never-exported" not in raw
    assert b"credentials" not in raw


def test_delete_removes_links_matches_and_data_at_once(dominique: dict[str, object]) -> None:
    space, camille = dominique["space"], dominique["camille"]
    assert Match.objects.filter(archive_import__organisation=camille, remote_id=did_for(2)).exists()
    client = dominique["client"]
    refused = client.post(f"/o/{space.slug}/me/data/delete/", {})  # type: ignore[union-attr]
    assert refused.status_code == 400  # the box must be ticked
    done = client.post(f"/o/{space.slug}/me/data/delete/", {"confirm": "on"})  # type: ignore[union-attr]
    assert done.status_code == 302 and done["Location"] == "/signin/"
    assert not Organisation.objects.filter(pk=space.pk).exists()  # type: ignore[union-attr]
    assert not IdentityLink.objects.filter(remote_id=did_for(2)).exists()
    assert not Match.objects.filter(remote_id=did_for(2)).exists()  # Camille no longer sees it
    assert list(FeedChange.objects.order_by("pk").values_list("op", flat=True))[-1] == "remove"
    assert not ArchiveImport.objects.filter(organisation_id=space.pk).exists()  # type: ignore[union-attr]
    assert not SourceAccount.objects.filter(organisation_id=space.pk).exists()  # type: ignore[union-attr]
    assert not ArchivedPost.objects.filter(source_account__organisation_id=space.pk).exists()  # type: ignore[union-attr]
    assert not ConnectedAccount.objects.filter(organisation_id=space.pk).exists()  # type: ignore[union-attr]
    assert not SignInIdentity.objects.filter(remote_id=did_for(2)).exists()
    assert not get_user_model().objects.filter(pk=dominique["user"].pk).exists()  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="people.space_deleted").exists()
    # Camille's own space is untouched.
    assert ArchiveImport.objects.filter(organisation=camille).exists()


def test_only_a_person_reaches_these_pages(dominique: dict[str, object]) -> None:
    from envol.orgs.models import Role
    from envol.orgs.services import add_member, create_organisation

    city = create_organisation("ville-d", "Ville D")
    add_member(city, "admin@d.test", Role.ADMIN, password="pw-admin-123456")
    client = Client()
    client.login(username="admin@d.test", password="pw-admin-123456")
    assert client.get("/o/ville-d/me/").status_code == 404  # an institution has no such page
    space = dominique["space"]
    assert client.get(f"/o/{space.slug}/me/data/").status_code == 404  # type: ignore[union-attr]
