"""Shared builders for the leaving tests: an organisation with a presence on several networks."""

from __future__ import annotations

import pytest

from envol.leaving.models import PublicLink
from envol.orgs.models import ConnectedAccount, Organisation, Role
from envol.orgs.services import add_member, create_organisation


@pytest.fixture
def org(db: None) -> Organisation:
    organisation = create_organisation("ville-exemple", "Ville d'Exemple-sur-Loire")
    organisation.website = "https://www.ville-exemple.fr/"
    organisation.save()
    ConnectedAccount.objects.create(
        organisation=organisation,
        network="bluesky",
        handle="ville-exemple.fr",
        remote_id="did:plc:abc",
    )
    ConnectedAccount.objects.create(
        organisation=organisation,
        network="mastodon",
        handle="@ville@social.exemple.fr",
        instance_url="https://social.exemple.fr",
    )
    PublicLink.objects.create(
        organisation=organisation,
        network="newsletter",
        handle="La lettre de la ville",
        url="https://www.ville-exemple.fr/lettre",
        order=1,
    )
    return organisation


@pytest.fixture
def editor(org: Organisation):  # type: ignore[no-untyped-def]
    return add_member(
        org, "editrice@ville-exemple.fr", Role.EDITOR, password="pw-editor-123456"
    ).user
