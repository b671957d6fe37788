"""The first-run experience, exactly as a newcomer meets it: `envol demo`, a French login page,
the demo login, the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envol.orgs.demo import DEMO_EMAIL, DEMO_PASSWORD
from envol.testing.fixtures.browser import screenshot
from envol.testing.liveserver import running_envol
from envol.testing.postgres import free_port


def sandbox_ports() -> dict[str, str]:
    """The demo starts the sandbox; free ports keep it clear of a developer's own sandbox."""
    return {
        "ENVOL_SANDBOX_PDS_PORT": str(free_port()),
        "ENVOL_SANDBOX_PLC_PORT": str(free_port()),
        "ENVOL_SANDBOX_MASTODON_PORT": str(free_port()),
        "ENVOL_SANDBOX_APPVIEW_PORT": str(free_port()),
    }


pytestmark = pytest.mark.browser


def test_demo_login_reaches_dashboard(page: Any, tmp_path: Path) -> None:
    with running_envol(["demo"], tmp_path, env=sandbox_ports(), timeout=300) as base:
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").inner_text() == "Connexion"
        screenshot(page, "login-fr")
        page.get_by_label("Adresse électronique").fill(DEMO_EMAIL)
        page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/o/ville-demo/")
        assert page.locator("h1").inner_text() == "Ville de Démo-sur-Mer"
        assert page.get_by_role("navigation", name="Menu principal").is_visible()
        accounts = page.locator("#connected-accounts").inner_text()
        assert (
            "Bluesky — ville-demo" in accounts and "Mastodon — villedemo@mastodon.test" in accounts
        )
        screenshot(page, "dashboard-fr")
        page.goto(base + "/o/ville-demo/matches/?network=bluesky")
        assert "prefecture-" in page.content()  # the demo archive's matches, on the sandbox
        screenshot(page, "demo-matches-fr")
        page.goto(base + "/ville-demo/archive/")  # the demo archive's site, built and published
        assert page.locator("h1").inner_text().startswith("Archive de ")
        page.goto(base + "/o/ville-demo/")
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("link", name="Dashboard").is_visible()


def test_wrong_password_shows_error_linked_to_form(page: Any, tmp_path: Path) -> None:
    with running_envol(["demo", "--no-sandbox"], tmp_path) as base:
        page.goto(base + "/accounts/login/")
        page.get_by_label("Adresse électronique").fill(DEMO_EMAIL)
        page.get_by_label("Mot de passe").fill("not-the-password")
        page.get_by_role("button", name="Se connecter").click()
        alert = page.get_by_role("alert")
        assert "mot de passe" in alert.inner_text().lower()
        screenshot(page, "login-error-fr")
