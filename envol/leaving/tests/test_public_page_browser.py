"""The public page as a visitor meets it: no login, no JavaScript, link previews, QR codes, and
the language switch."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from envol.leaving import services
from envol.orgs.models import Organisation
from envol.testing.fixtures.browser import screenshot
from envol.testing.liveserver import running_envol
from envol.testing.subprocess_db import env_for_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_page_without_login_or_javascript(
    browser: Any, org: Organisation, tmp_path: Path
) -> None:
    page_row = services.page_of(org)
    page_row.published = True
    page_row.intro_fr = "Nous avons quitté X.\nRetrouvez-nous ici."
    page_row.save()
    _visit_public_page(browser, org, tmp_path)


def _visit_public_page(browser: Any, org: Organisation, tmp_path: Path) -> None:
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        with running_envol(["serve", "--no-worker"], tmp_path, env=env_for_child()) as base:
            page.goto(f"{base}/{org.slug}/")
            assert page.locator("html").get_attribute("lang") == "fr"
            assert page.locator("h1").inner_text() == "Où trouver Ville d'Exemple-sur-Loire"
            og = {
                name: page.locator(f'meta[property="og:{name}"]').get_attribute("content")
                for name in ("title", "description", "url", "type")
            }
            assert og["title"] == "Où trouver Ville d'Exemple-sur-Loire"
            assert og["url"] == services.public_url(org) and og["type"] == "website"
            assert page.locator('meta[name="twitter:card"]').get_attribute("content") == "summary"
            qr_codes = page.locator(".envol-qr svg")
            assert qr_codes.count() == 5
            first_box = page.locator(".envol-qr svg").first.bounding_box()
            assert first_box is not None and first_box["width"] > 50
            assert page.get_by_role("img", name="QR code vers Bluesky").count() == 1
            link = page.get_by_role("link", name="@ville-exemple.fr")
            assert link.get_attribute("href") == "https://bsky.app/profile/ville-exemple.fr"
            assert "Retrouvez-nous ici." in page.locator("#page-intro").inner_text()
            headings = [
                int(tag[1])
                for tag in page.locator("h1, h2, h3").evaluate_all("els => els.map(e => e.tagName)")
            ]
            assert headings[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(headings))
            screenshot(page, "leaving-public-page-fr")
            page.get_by_role("button", name="English").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.locator("h1").inner_text() == "Where to find Ville d'Exemple-sur-Loire"
            screenshot(page, "leaving-public-page-en")
    finally:
        context.close()
