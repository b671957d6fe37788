"""The public page at /<slug>/ and its editing, through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client

from envol.leaving import services
from envol.leaving.models import PublicLink
from envol.orgs.models import AuditEvent, Organisation, Role
from envol.orgs.services import add_member


def publish(org: Organisation, **fields: object) -> None:
    page = services.page_of(org)
    page.published = True
    for name, value in fields.items():
        setattr(page, name, value)
    page.save()


@pytest.mark.django_db
def test_unpublished_page_is_404_like_an_unknown_one(org: Organisation) -> None:
    client = Client()
    assert client.get(f"/{org.slug}/").status_code == 404
    assert client.get("/nobody-here/").status_code == 404


@pytest.mark.django_db
def test_published_page_lists_channels_with_qr_codes_and_preview_tags(org: Organisation) -> None:
    publish(org, intro_fr="Ligne 1\n<script>alert(1)</script>")
    html = Client().get(f"/{org.slug}/").content.decode()
    assert 'property="og:title"' in html and 'name="twitter:card"' in html
    assert f'content="{services.public_url(org)}"' in html
    assert "https://bsky.app/profile/ville-exemple.fr" in html
    assert "https://social.exemple.fr/@ville" in html
    assert "https://www.ville-exemple.fr/lettre" in html
    assert html.count("<svg") == 5  # bluesky, mastodon, newsletter, website, the page itself
    assert "Ligne 1<br>&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


@pytest.mark.django_db
def test_hidden_link_is_not_shown(org: Organisation) -> None:
    PublicLink.objects.filter(organisation=org).update(shown=False)
    publish(org)
    html = Client().get(f"/{org.slug}/").content.decode()
    assert "/lettre" not in html


@pytest.mark.django_db
def test_reserved_slugs_are_refused_and_never_shadow_routes() -> None:
    for slug in ["admin", "accounts", "o", "i18n", "static", "media", "healthz"]:
        with pytest.raises(services.LeavingError):
            services.check_public_slug(slug)
    services.check_public_slug("ville-exemple")
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_editor_publishes_the_page_and_adds_a_link(org: Organisation, editor: object) -> None:
    client = Client()
    assert client.login(username="editrice@ville-exemple.fr", password="pw-editor-123456")
    response = client.post(
        f"/o/{org.slug}/leaving/page/",
        {"page-published": "on", "page-intro_fr": "Bonjour", "page-show_connected_accounts": "on"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/o/{org.slug}/leaving/page/links/new/",
        {
            "link-network": "peertube",
            "link-handle": "Nos vidéos",
            "link-url": "https://video.exemple.fr/c/ville",
            "link-order": "2",
            "link-shown": "on",
        },
    )
    assert response.status_code == 302
    refused = client.post(
        f"/o/{org.slug}/leaving/page/links/new/",
        {
            "link-network": "other",
            "link-handle": "x",
            "link-url": "javascript:alert(1)",
            "link-order": "3",
        },
    )
    assert refused.status_code == 200 and "javascript" not in "".join(
        PublicLink.objects.values_list("url", flat=True)
    )
    html = Client().get(f"/{org.slug}/").content.decode()
    assert "Bonjour" in html and "https://video.exemple.fr/c/ville" in html
    assert AuditEvent.objects.filter(organisation=org, action="leaving.page_update").exists()
    assert AuditEvent.objects.filter(organisation=org, action="leaving.link_add").count() == 1


@pytest.mark.django_db
def test_viewer_cannot_edit_the_page(org: Organisation) -> None:
    add_member(org, "lecteur@ville-exemple.fr", Role.VIEWER, password="pw-viewer-123456")
    client = Client()
    client.login(username="lecteur@ville-exemple.fr", password="pw-viewer-123456")
    assert client.get(f"/o/{org.slug}/leaving/").status_code == 200
    assert client.post(f"/o/{org.slug}/leaving/page/", {"page-published": "on"}).status_code == 404


@pytest.mark.django_db
def test_page_is_in_english_when_asked(org: Organisation) -> None:
    publish(org, intro_fr="Texte français", intro_en="English text")
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": f"/{org.slug}/"})
    html = client.get(f"/{org.slug}/").content.decode()
    assert '<html lang="en"' in html and "English text" in html and "Where to find" in html
