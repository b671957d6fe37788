"""Admins edit the organisation (name, kind, website); others cannot; the slug stays."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.test import Client

from envol.cli import main
from envol.orgs.models import AuditEvent, Organisation, Role
from envol.orgs.services import add_member, create_organisation


@pytest.mark.django_db
def test_admin_sets_the_website_and_editors_cannot() -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "admin@a.test", Role.ADMIN, password="pw-admin-123456")
    add_member(org, "com@a.test", Role.EDITOR, password="pw-com-123456")
    editor = Client()
    editor.login(username="com@a.test", password="pw-com-123456")
    assert editor.get("/o/ville-a/accounts/organisation/").status_code == 404
    admin = Client()
    admin.login(username="admin@a.test", password="pw-admin-123456")
    bad = admin.post(
        "/o/ville-a/accounts/organisation/",
        {"name": "Ville A", "kind": "city", "website": "pas une adresse"},
    )
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.content.decode()
    ok = admin.post(
        "/o/ville-a/accounts/organisation/",
        {"name": "Ville d'A", "kind": "city", "website": "https://www.ville-a.fr"},
    )
    assert ok.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.website, org.slug) == ("Ville d'A", "https://www.ville-a.fr", "ville-a")
    assert AuditEvent.objects.filter(action="org.update", organisation=org).exists()


@pytest.mark.django_db
def test_cli_sets_the_website_at_creation() -> None:
    result = CliRunner().invoke(
        main,
        ["org", "create", "rennes", "--name", "Rennes", "--website", "https://metropole.rennes.fr"],
    )
    assert result.exit_code == 0, result.output
    assert Organisation.objects.get(slug="rennes").website == "https://metropole.rennes.fr"
