"""The upload as a communication team meets it: pick the file, wait, read the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.portability.models import ArchiveImport
from envol.portability.tests.conftest import write_archive
from envol.testing.fixtures.browser import screenshot
from envol.testing.liveserver import running_envol
from envol.testing.subprocess_db import env_for_child
from envol.testing.x_archive_factory import ArchiveSpec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-browser-123456"


def table_rows(page: Any, table: str) -> dict[str, list[str]]:
    """Each body row of `table` as {its header cell's text: [its data cells' texts]}."""
    rows: dict[str, list[str]] = page.locator(f"{table} tbody tr").evaluate_all(
        """rows => Object.fromEntries(rows.map(row => [
            row.querySelector("th").innerText.trim(),
            [...row.querySelectorAll("td")].map(cell => cell.innerText.trim()),
        ]))"""
    )
    return rows


def test_upload_progress_and_summary(page: Any, tmp_path: Path) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "com@a.test", Role.EDITOR, password=PASSWORD)
    archive = write_archive(tmp_path, ArchiveSpec(seed=31, tweets=400, following=50))
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    with running_envol(["serve", "--worker"], server_dir, env=env_for_child()) as base:
        page.goto(base + "/accounts/login/")
        page.get_by_label("Adresse électronique").fill("com@a.test")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.goto(base + "/o/ville-a/imports/")
        page.get_by_role("link", name="Importer une archive X").click()
        page.get_by_label("Votre archive X (.zip)").set_input_files(str(archive))
        page.locator("label[for=id_keep_media]").click()  # the label ticks the box, in any theme
        assert page.get_by_label("Conserver les photos et vidéos").is_checked()
        screenshot(page, "portability-upload-fr")
        page.get_by_role("button", name="Envoyer et importer").click()
        page.wait_for_selector("#import-done", timeout=60_000)  # the page refreshes itself
        assert "Import terminé" in page.locator("#import-done").inner_text()
        counts = table_rows(page, "#import-counts")
        assert counts["Comptes suivis"][0] == "50"  # "in the archive", next to its label
        assert counts["Publications (retweets et réponses compris)"][0] == "400"
        assert page.locator("#top-mentions li").count() > 0
        screenshot(page, "portability-summary-fr")
    done = ArchiveImport.objects.get()
    assert done.state == ArchiveImport.State.DONE and done.keep_media
    assert done.stored_path == ""  # the upload was deleted after the import
