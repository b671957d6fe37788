"""The archive site in a real browser (Debian's chromium), opened from disk as people will keep
it (file://): a month page, a thread, the search with and without JavaScript — screenshots in
artifacts/screenshots/, axe-core on each page (no serious or critical violation), no request
refused by the Content-Security-Policy, usable at 375 px."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from envol.history import services
from envol.history.tests.conftest import import_generated
from envol.leaving.models import PublicLink
from envol.orgs.models import ConnectedAccount, Organisation
from envol.portability.models import ArchivedMedia
from envol.publishing.tests.test_publish import png
from envol.testing.axe import axe_source, blocking_violations
from envol.testing.fixtures.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def site(org: Organisation, tmp_path: Path) -> Path:
    archive_import = import_generated(org, tmp_path)
    picture = png(64, 40)  # kept photos display in the screenshots
    for stored in ArchivedMedia.objects.filter(kind="photo").exclude(stored_path=""):
        (Path(settings.MEDIA_ROOT) / stored.stored_path).write_bytes(picture)
    ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville-a.fr", remote_id="did:plc:abc"
    )
    PublicLink.objects.create(
        organisation=org, network="newsletter", handle="La lettre", url="https://ville-a.fr/lettre"
    )
    output = tmp_path / "site"
    services.build_site(archive_import, output, lang="fr", colour="#e4007c")
    return output


@pytest.fixture
def refused(page: Any) -> Iterator[list[str]]:
    """Console messages of requests the page's CSP refused (there must be none)."""
    messages: list[str] = []
    page.on(
        "console",
        lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: messages.append(str(error)))
    yield messages


def axe() -> str:
    source = axe_source()
    if source is None:
        reason = "axe-core is not installed: run `make testservers`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return source


def check_page(page: Any, name: str, refused: list[str]) -> None:
    """A screenshot, then axe: no serious or critical violation. axe's own requests (it reads
    the style sheets) are refused by the site's CSP too: those messages are not the page's."""
    assert refused == [], refused
    screenshot(page, name)
    violations = blocking_violations(page, axe())
    refused.clear()
    assert violations == [], "\n".join(violations)


def thread_page(site: Path) -> Path:
    for candidate in sorted((site / "status").glob("*.html")):
        if "thread-title" in candidate.read_text(encoding="utf-8"):
            return candidate
    raise AssertionError("no thread in the generated archive")


def test_month_and_thread_pages(page: Any, site: Path, refused: list[str]) -> None:
    month = sorted(site.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9].html"))[0]
    page.goto(month.as_uri())
    assert page.locator("h1").count() == 1
    assert page.locator("main article").count() > 10
    assert page.locator("main img[src^='../media/']").count() > 0
    assert all(alt for alt in page.locator("main img").evaluate_all("l => l.map(i => i.alt)"))
    first_image = page.locator("main img").first
    first_image.scroll_into_view_if_needed()
    page.wait_for_function(
        "i => i.complete && i.naturalWidth > 0", arg=first_image.element_handle()
    )
    page.evaluate("window.scrollTo(0, 0)")
    langs = page.locator(".post-text[lang]").evaluate_all("l => l.map(e => e.lang)")
    assert {"fr", "en", "ja", "ar"} <= set(langs)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert skip.bounding_box()["y"] >= 0  # shown when focused
    check_page(page, "history-site-month", refused)

    page.goto(thread_page(site).as_uri())
    articles = page.locator("section.thread article")
    assert articles.count() >= 2
    ids = [int(i[2:]) for i in articles.evaluate_all("l => l.map(a => a.id)")]
    assert ids == sorted(ids)
    assert page.locator("article[aria-current='true'] .this-post").count() == 1
    check_page(page, "history-site-thread", refused)
    page.goto((site / "about.html").as_uri())
    assert page.locator("main a[href='https://bsky.app/profile/ville-a.fr']").count() == 1
    check_page(page, "history-site-about", refused)
    assert refused == []


def test_search_with_javascript_offline(page: Any, site: Path, refused: list[str]) -> None:
    page.goto((site / "search.html").as_uri())
    page.fill("#q", "MAIRIE")  # case and accents do not matter
    page.click("button[type=submit]")
    status = page.locator("#search-status")
    status.filter(has_text=re.compile("trouvée")).wait_for()
    found = int(re.sub(r"\D", "", status.inner_text().split(" publication")[0]))
    results = page.locator("#search-results li")
    assert found > 0 and results.count() == min(found, 100)
    assert "mairie" in results.first.inner_text().lower()
    check_page(page, "history-site-search", refused)
    href = results.first.locator("a").get_attribute("href")
    assert re.fullmatch(r"status/[0-9]+\.html", href)
    results.first.locator("a").click()
    page.wait_for_url(re.compile(r"/status/[0-9]+\.html$"))
    page.goto((site / "search.html").as_uri() + "?q=zzzz-introuvable")
    status.filter(has_text="Aucune publication").wait_for()
    assert refused == []


def test_search_without_javascript_points_to_the_months(browser: Any, site: Path) -> None:
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=False, viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    try:
        page.goto((site / "search.html").as_uri())
        assert not page.locator("#search-form").is_visible()
        assert "La recherche a besoin de JavaScript" in page.locator("main").inner_text()
        browse = page.locator("main a[href='index.html']")
        assert browse.inner_text() == "parcourir par année et par mois"
        browse.click()
        assert page.url.endswith("index.html")
        months = page.locator("main ul.months a")
        assert months.count() >= 1
        months.first.click()
        assert page.locator("main article").count() > 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"horizontal scroll at 375 px: {width}"
        screenshot(page, "history-site-month-375-no-js")
        page.goto((site / "search.html").as_uri())
        screenshot(page, "history-site-search-no-js")
    finally:
        context.close()
