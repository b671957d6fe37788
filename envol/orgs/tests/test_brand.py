"""An organisation's colour and logo: contrast-checked, the logo re-encoded (SVG refused), shown
on its public page and in the header, served only to whom may see them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from envol.leaving import services as leaving
from envol.orgs.brand import BrandError, clean_colour, clean_logo, contrast_ratio
from envol.orgs.models import Organisation, Role
from envol.orgs.services import add_member, create_organisation
from envol.testing.walk import logo_png

PASSWORD = "pw-admin-123456"


def test_contrast_follows_wcag() -> None:
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54
    assert clean_colour("1D6F42") == "#1d6f42"
    assert clean_colour("") == ""
    with pytest.raises(BrandError, match=r"4.5:1"):
        clean_colour("#ffcc00")  # yellow: white text on it is unreadable
    with pytest.raises(BrandError, match="six chiffres"):
        clean_colour("red")


def test_logo_is_re_encoded_and_svg_refused() -> None:
    png = clean_logo(io.BytesIO(logo_png()), 1000)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.height == 64
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'
    with pytest.raises(BrandError, match="SVG"):
        clean_logo(io.BytesIO(svg), len(svg))
    with pytest.raises(BrandError, match="pas une image"):
        clean_logo(io.BytesIO(b"GIF89a not really"), 17)
    tiny = io.BytesIO()
    Image.new("RGB", (8, 8)).save(tiny, format="PNG")
    with pytest.raises(BrandError, match="8 × 8"):
        clean_logo(io.BytesIO(tiny.getvalue()), 100)
    with pytest.raises(BrandError, match="limite"):
        clean_logo(io.BytesIO(b""), 5 * 1024 * 1024)


def _admin(org: Organisation) -> Client:
    add_member(org, "admin@a.test", Role.ADMIN, password=PASSWORD)
    client = Client()
    client.login(username="admin@a.test", password=PASSWORD)
    return client


@pytest.mark.django_db
def test_admin_sets_colour_and_logo_shown_in_header_and_public_page() -> None:
    org = create_organisation("ville-a", "Ville A")
    client = _admin(org)
    url = "/o/ville-a/accounts/organisation/"
    base = {"name": "Ville A", "kind": "city", "website": ""}
    light = client.post(url, {**base, "brand-colour": "#ffdd00"})
    assert light.status_code == 200
    assert (
        "plus foncée" in light.content.decode() and 'aria-invalid="true"' in light.content.decode()
    )
    logo = SimpleUploadedFile("logo.png", logo_png(), content_type="image/png")
    assert (
        client.post(url, {**base, "brand-colour": "#1d6f42", "brand-logo": logo}).status_code == 302
    )
    org.refresh_from_db()
    assert org.colour == "#1d6f42" and org.has_logo
    dashboard = client.get("/o/ville-a/").content.decode()
    assert f"/brand/ville-a/style.css?v={org.brand_version}" in dashboard
    assert f"/brand/ville-a/logo.png?v={org.brand_version}" in dashboard
    css = client.get("/brand/ville-a/style.css")
    assert css.content.decode() == ":root { --brand: #1d6f42; }\n"
    assert client.get("/brand/ville-a/logo.png")["Content-Type"] == "image/png"
    # Strangers see nothing until the public page is published, then its look too.
    stranger = Client()
    assert stranger.get("/brand/ville-a/style.css").status_code == 404
    assert stranger.get("/brand/ville-a/logo.png").status_code == 404
    page = leaving.page_of(org)
    page.published = True
    page.save()
    public = stranger.get("/ville-a/").content.decode()
    assert "/brand/ville-a/style.css" in public and "/brand/ville-a/logo.png" in public
    assert stranger.get("/brand/ville-a/logo.png").status_code == 200
    assert (
        client.post(url, {**base, "brand-colour": "", "brand-remove_logo": "on"}).status_code == 302
    )
    org.refresh_from_db()
    assert org.colour == "" and not org.has_logo
