"""The instance's pages (accessibility statement, legal notice) and the error pages: styled, in
French and English, linked from every page's footer; signed-out visitors are sent to sign in."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.web.models import SitePage
from envol.web.views import server_error


@pytest.mark.django_db
def test_default_statement_in_both_languages_and_footer_link() -> None:
    client = Client()
    fr = client.get("/about/accessibility/").content.decode()
    assert "<h1>Déclaration d&#x27;accessibilité</h1>" in fr and "non conforme" in fr
    assert 'href="/about/accessibility/">Accessibilité : non conforme</a>' in fr
    assert 'href="/about/legal/">Mentions légales</a>' in fr
    en = client.get("/about/legal/", headers={"accept-language": "en"}).content.decode()
    assert "<h1>Legal notice</h1>" in en and "GNU AGPL" in en
    assert "Accessibility: not compliant" in en


@pytest.mark.django_db
def test_the_admin_text_is_markdown_with_html_shown_as_text() -> None:
    SitePage.objects.create(
        kind="accessibility",
        compliance="partial",
        body_fr="## Résultats\n\nAudit du 3 mars : 80 % des critères.<script>alert(1)</script>",
    )
    html = Client().get("/about/accessibility/").content.decode()
    assert "<h2>Résultats</h2>" in html and "80 % des critères" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "Accessibilité : partiellement conforme" in html


@pytest.mark.django_db
def test_error_pages_are_styled_in_both_languages() -> None:
    org = create_organisation("ville-a", "Ville A")
    create_organisation("ville-b", "Ville B")
    add_member(org, "a@a.test", Role.VIEWER, password="pw-a-123456")
    client = Client()
    client.login(username="a@a.test", password="pw-a-123456")
    for path in ("/o/ville-b/", "/o/no-such-town/", "/nowhere/at/all/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "<h1>Page introuvable</h1>" in response.content.decode()
    english = client.get("/o/ville-b/", headers={"accept-language": "en"})
    assert "<h1>Page not found</h1>" in english.content.decode()
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post("/accounts/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 403 and "<h1>Accès refusé</h1>" in refused.content.decode()
    failed = server_error(RequestFactory().get("/"))
    assert (
        failed.status_code == 500 and "Désolé, un problème est survenu" in failed.content.decode()
    )


@pytest.mark.django_db
def test_the_walk_covers_every_page() -> None:
    """A new GET page must be added to envol.testing.walk.PAGES (or NOT_PAGES, with why)."""
    from django.urls import URLPattern, URLResolver, get_resolver, resolve

    from envol.testing import walk

    routes: list[str] = []

    def collect(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route not in ("admin/", "i18n/"):
                    collect(p.url_patterns, route)
            else:
                routes.append(route)

    collect(get_resolver().url_patterns, "")
    ids = walk.Seeded(org="ville-a", import_id=1, job_id=1, link_id=1, post_id=1, review_id=2)
    walked = {resolve(p.path.format(**vars(ids)).split("?")[0]).route for p in walk.PAGES}
    django_auth = {"accounts/password_change/", "accounts/password_change/done/"}
    missing = [
        r for r in routes if r not in walked and r not in walk.NOT_PAGES and r not in django_auth
    ]
    assert not missing, f"pages the browser walk does not open: {missing}"
