"""The review flow as a communication team meets it: compute, filter, accept in bulk, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envol.crosswalk.services import import_dataset
from envol.crosswalk.tests.conftest import HEADER, archive_with_following, did_for, write_csv
from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.testing.fixtures.browser import screenshot
from envol.testing.liveserver import running_envol
from envol.testing.subprocess_db import env_for_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-browser-123456"


def test_review_flow_compute_filter_accept_export(page: Any, tmp_path: Path) -> None:
    rows = [
        [str(i), f"compte{i}", f"compte{i}.bsky.social", did_for(i), "", "", c]
        for i, c in [(1, "0.95"), (2, "0.7"), (3, "0.6"), (4, "0.2")]
    ]
    import_dataset(write_csv(tmp_path / "d.csv", rows, header=[*HEADER, "confidence"]), "annuaire")
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "relecture@a.test", Role.EDITOR, password=PASSWORD)
    archive_with_following(org, ["1", "2", "3", "4", "5"])
    with running_envol(["serve", "--worker"], tmp_path, env=env_for_child()) as base:
        page.goto(base + "/accounts/login/")
        page.get_by_label("Adresse électronique").fill("relecture@a.test")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.goto(base + "/o/ville-a/matches/")
        page.get_by_role("button", name="Retrouver mes abonnements sur Bluesky").click()
        page.wait_for_selector("#matching-done", timeout=60_000)  # the worker's job; it refreshes
        assert "Automatique : 1" in page.locator("#count-auto").inner_text()
        assert "À vérifier : 2" in page.locator("#count-review").inner_text()
        page.get_by_label("Confiance", exact=True).select_option("review")
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_load_state()
        assert page.locator("tbody tr").count() == 2
        screenshot(page, "crosswalk-review-fr")
        for box in page.locator("tbody input[type=checkbox]").all():
            box.check()
        page.get_by_role("button", name="Accepter la sélection").click()
        page.wait_for_load_state()
        assert "2 correspondances mises à jour" in page.get_by_role("status").inner_text()
        assert page.locator("td.decision").all_inner_texts() == ["Acceptée", "Acceptée"]
        with page.expect_download() as download:
            page.get_by_role("link", name="Identifiants Bluesky (CSV)").click()
        lines = Path(download.value.path()).read_text().splitlines()
        assert lines[0] == "did,handle,x_id" and len(lines) == 4
        screenshot(page, "crosswalk-accepted-fr")
