"""The insights pages in a real browser, on the demo's data (four weeks of readings, the flood
campaign): charts drawn and visible, the filters work without JavaScript, a table's CSV
downloads, on a phone the wide tables scroll in their frame. Screenshots of each page in both
themes: artifacts/screenshots/insights-<theme>-<width>-<page>.png."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from envol.insights.models import Campaign, Channel
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import add_member, create_organisation
from envol.testing.fixtures.browser import screenshot
from envol.testing.liveserver import running_envol
from envol.testing.subprocess_db import env_for_child

pytestmark = [
    pytest.mark.browser,
    pytest.mark.rendering,
    pytest.mark.django_db(transaction=True),
]
EMAIL, PASSWORD = "viewer@demo.test", "pw-viewer-123456"


def seed(folder: Path) -> dict[str, str]:
    from envol.demo import seed_demo_insights

    org = create_organisation("ville-mesure", "Ville de Mesure")
    add_member(org, EMAIL, Role.VIEWER, password=PASSWORD)
    ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="ville-mesure.bsky.social"
    )
    seed_demo_insights(org, folder)
    base = f"/o/{org.slug}/insights/"
    bluesky = Channel.objects.get(organisation=org, platform="bluesky")
    linkedin = Channel.objects.get(organisation=org, platform="linkedin")
    flood = Campaign.objects.get(organisation=org, name="Crue de la Vilaine")
    return {
        "overview": base,
        "channel": f"{base}channels/{bluesky.pk}/",
        "channel-linkedin": f"{base}channels/{linkedin.pk}/?start=&end=",
        "campaign": f"{base}campaigns/{flood.pk}/",
    }


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("theme", ["envol", "dsfr"])
def test_insights_pages_in_a_browser(browser: Any, theme: str, tmp_path: Path) -> None:
    pages = seed(tmp_path)
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    env = {**env_for_child(), "ENVOL_THEME": theme}
    with running_envol(["serve", "--no-worker"], server_dir, env=env) as base:
        for width in (1280, 375):
            context = browser.new_context(
                locale="en-GB",
                viewport={"width": width, "height": 900},
                java_script_enabled=False,
                accept_downloads=True,
            )
            page = context.new_page()
            sign_in(page, base)
            for name, path in pages.items():
                page.goto(base + path)
                charts = page.locator("svg.chart")
                assert charts.count() >= 1, name
                for i in range(charts.count()):
                    box = charts.nth(i).bounding_box()
                    assert box and box["width"] > 200 and box["height"] > 60, (name, box)
                assert page.evaluate(
                    "document.documentElement.scrollWidth <= window.innerWidth + 1"
                ), f"{name} is wider than the screen at {width}px"
                screenshot(page, f"insights-{theme}-{width}-{name}")
            context.close()
        context = browser.new_context(
            locale="en-GB", java_script_enabled=False, accept_downloads=True
        )
        page = context.new_page()
        sign_in(page, base)
        page.goto(base + pages["overview"])
        page.get_by_label("Network", exact=True).select_option("mastodon")
        page.get_by_role("button", name="Apply the filters").click()
        page.wait_for_load_state()
        assert "network=mastodon" in page.url
        engagement = page.locator(
            "table", has=page.locator("caption", has_text="Engagement per post")
        )
        assert engagement.locator("tbody th").all_inner_texts() == ["Mastodon"]
        with page.expect_download() as download:
            page.get_by_role(
                "link", name="Download “Engagement per post, per network” (CSV)"
            ).click()
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
        assert rows[0][0] == "Network" and [r[0] for r in rows[1:]] == ["Mastodon"]
        page.goto(base + pages["campaign"])
        assert "1,682,000" in page.locator("main").inner_text()
        context.close()
