"""Organisation pages read the session; a GET writes it only when the current organisation
changes (issue 13 §2: every page view used to rewrite the session row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation

pytestmark = pytest.mark.django_db
PASSWORD = "pw-session-123456"


def session_writes(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_a_get_writes_the_session_only_when_the_organisation_changes() -> None:
    a = create_organisation("ville-a", "Ville A")
    b = create_organisation("ville-b", "Ville B")
    for org in (a, b):
        add_member(org, "eve@a.test", Role.VIEWER, password=PASSWORD)
    client = Client()
    assert client.login(username="eve@a.test", password=PASSWORD)
    assert session_writes(client, "/o/ville-a/")  # the first visit remembers the organisation
    assert session_writes(client, "/o/ville-a/") == []
    assert session_writes(client, "/o/ville-a/matches/") == []
    assert session_writes(client, "/o/ville-b/")  # another organisation: remembered
    assert client.session["current_org"] == "ville-b"
    assert session_writes(client, "/o/ville-b/") == []


def test_an_organisation_page_reads_the_memberships_once() -> None:
    """The view's membership, the header's switcher and the menu share one query; a page
    outside /o/<org>/ that shows no organisation reads none."""
    for slug, name in (("ville-a", "Ville A"), ("ville-b", "Ville B")):
        add_member(create_organisation(slug, name), "eve@a.test", Role.VIEWER, password=PASSWORD)
    client = Client()
    assert client.login(username="eve@a.test", password=PASSWORD)
    client.get("/o/ville-b/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/o/ville-b/")
    on_orgs = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "orgs_organisation"' in q["sql"] or 'FROM "orgs_membership"' in q["sql"]
    ]
    assert len(on_orgs) == 1
    html = page.content.decode()
    assert '<option value="ville-b" selected>' in html and '<option value="ville-a" >' in html
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/healthz").status_code == 200
    assert not [q for q in queries.captured_queries if '"orgs_' in q["sql"]]
