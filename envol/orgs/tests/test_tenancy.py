"""A member of organisation A gets 404 on every organisation-B URL, whatever the view."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation


def org_scoped_routes() -> list[str]:
    """Every URL pattern that takes an <org> argument, walked from the root resolver, so that
    views added later are covered without touching this test."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif "<slug:org>" in route or "<str:org>" in route:
                found.append(route)

    walk(get_resolver().url_patterns, "")
    return found


def fill(route: str, org: str) -> str:
    import re

    url = re.sub(r"<(?:slug|str):org>", org, route)
    url = re.sub(r"<int:[a-z_]+>", "1", url)
    url = re.sub(r"<(?:slug|str|uuid|path):[a-z_]+>", "x", url)
    return "/" + url.lstrip("^").rstrip("$")


@pytest.mark.django_db
def test_member_of_a_gets_404_on_every_org_b_url() -> None:
    a = create_organisation("ville-a", "Ville A")
    b = create_organisation("ville-b", "Ville B")
    add_member(a, "alice@a.test", Role.ADMIN, password="pw-alice-123456")
    add_member(b, "bob@b.test", Role.ADMIN, password="pw-bob-123456")
    routes = org_scoped_routes()
    assert routes, "no organisation-scoped route found"
    alice = Client()
    assert alice.login(username="alice@a.test", password="pw-alice-123456")
    for route in routes:
        for method in (alice.get, alice.post):
            response = method(fill(route, b.slug))
            assert response.status_code == 404, (route, method, response.status_code)
    # and her own dashboard works
    assert alice.get(f"/o/{a.slug}/").status_code == 200


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in_on_org_urls_and_home() -> None:
    create_organisation("ville-a", "Ville A")
    client = Client()
    # The same answer for an organisation that exists and one that does not: nothing leaks.
    for slug in ("ville-a", "no-such-town"):
        response = client.get(f"/o/{slug}/imports/")
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next=/o/{slug}/imports/"
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_switcher_refuses_foreign_organisation() -> None:
    a = create_organisation("ville-a", "Ville A")
    create_organisation("ville-b", "Ville B")
    add_member(a, "alice@a.test", Role.VIEWER, password="pw-alice-123456")
    client = Client()
    client.login(username="alice@a.test", password="pw-alice-123456")
    assert client.post("/o/switch/", {"org": "ville-b"}).status_code == 404
    assert client.post("/o/switch/", {"org": "ville-a"}).status_code == 302
