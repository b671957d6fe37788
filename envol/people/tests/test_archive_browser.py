"""The archive page in Chromium: the browser reads a real X archive (made by the project's
factory) and sends only account.js, following.js and follower.js; without JavaScript the whole
file goes, and the server imports either the same way."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from envol.jobs.runner import run_to_end
from envol.people.models import ArchiveFollowUp
from envol.people.tests.helpers import person
from envol.portability import storage
from envol.portability.models import ArchiveImport
from envol.testing.fixtures.browser import screenshot
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in_page(browser: Any, base: str, user: Any, javascript: bool) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="fr-FR", java_script_enabled=javascript)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    return context.new_page()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_only_the_lists_are_sent(
    browser: Any, live_server: Any, tmp_path: Path, javascript: bool
) -> None:
    user, space, _account = person("camille.test", "did:plc:" + "c" * 24)
    factory = XArchiveFactory(ArchiveSpec(seed=5, tweets=300, following=40, followers=25))
    archive = tmp_path / "twitter-2024-archive.zip"
    factory.write_zip(archive)
    full = {info.filename for info in zipfile.ZipFile(archive).infolist()}
    page = signed_in_page(browser, live_server.url, user, javascript)
    page.goto(f"{live_server.url}/o/{space.slug}/me/archive/")
    page.locator("input[type=file]").set_input_files(str(archive))
    screenshot(page, f"people-archive-{'js' if javascript else 'nojs'}")
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/o/{space.slug}/me/", timeout=30_000)
    page.context.close()
    imported = ArchiveImport.objects.get(organisation=space)
    received = storage.data_path(imported.stored_path)  # what the server got, before the import
    sent = zipfile.ZipFile(received)
    names, size = set(sent.namelist()), received.stat().st_size
    assert imported.file_name == archive.name
    if javascript:
        assert names == {"data/account.js", "data/following.js", "data/follower.js"}
        assert size < archive.stat().st_size / 5
        for member in names:  # the same bytes as in the archive, only fewer files
            assert sent.read(member) == zipfile.ZipFile(archive).read(member)
    else:
        assert names == full
    follow_up = ArchiveFollowUp.objects.get(archive_import=imported)
    assert follow_up.state == ArchiveFollowUp.State.WAITING and follow_up.due_at is None
    assert run_to_end(imported).state == ArchiveImport.State.DONE  # what a worker does
    follow_up.refresh_from_db()
    assert follow_up.state == ArchiveFollowUp.State.READY  # due with the import's end
    assert run_to_end(follow_up).state == ArchiveFollowUp.State.DONE
    imported.refresh_from_db()
    assert imported.counts["following"] == 40 and imported.counts["follower"] == 25
    assert imported.source_account.remote_id == factory.account.id
