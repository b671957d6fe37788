"""The upload flow through Django's test client: limits, errors, progress, summary, tenancy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from envol.orgs.models import Organisation, Role
from envol.orgs.services import add_member, create_organisation
from envol.portability import storage
from envol.portability.models import ArchiveImport
from envol.portability.services import run_import
from envol.portability.tests.conftest import write_archive
from envol.testing.x_archive_factory import ArchiveSpec

pytestmark = pytest.mark.django_db
PASSWORD = "pw-imports-123456"
SPEC = ArchiveSpec(seed=12, tweets=30, following=6)


def member(org: Organisation, email: str, role: str) -> Client:
    add_member(org, email, role, password=PASSWORD)
    client = Client()
    assert client.login(username=email, password=PASSWORD)
    return client


@pytest.fixture
def editor(org: Organisation) -> Client:
    return member(org, "editrice@a.test", Role.EDITOR)


def post_archive(client: Client, path: Path, **extra: Any) -> Any:
    with path.open("rb") as archive:
        return client.post("/o/ville-a/imports/upload/", {"archive": archive, **extra})


def test_upload_runs_as_a_job_then_shows_the_summary(editor: Client, tmp_path: Path) -> None:
    page = editor.get("/o/ville-a/imports/upload/")
    assert page.status_code == 200 and 'type="file"' in page.content.decode()
    response = post_archive(editor, write_archive(tmp_path, SPEC), keep_media="on")
    assert response.status_code == 302
    pending = ArchiveImport.objects.get()
    assert response["Location"] == f"/o/ville-a/imports/{pending.pk}/"
    waiting = editor.get(response["Location"]).content.decode()
    assert pending.state == "pending" and 'http-equiv="refresh"' in waiting
    assert pending.keep_media and not pending.keep_archive
    run_import(pending)  # what a worker does with the due import
    pending.refresh_from_db()
    assert pending.state == "done"
    summary = editor.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in summary and 'id="import-counts"' in summary
    assert 'id="date-range"' in summary and 'id="top-mentions"' in summary
    assert "data/like.js" in summary  # the warning
    listing = editor.get("/o/ville-a/imports/").content.decode()
    assert f"/o/ville-a/imports/{pending.pk}/" in listing and "@ville_12" in listing


def test_live_progress_comes_from_the_worker(
    editor: Client, org: Organisation, tmp_path: Path
) -> None:
    running = ArchiveImport.objects.create(organisation=org, state=ArchiveImport.State.RUNNING)
    storage.ProgressFile(running.pk)("tweets", 30, 120)
    page = editor.get(f"/o/ville-a/imports/{running.pk}/").content.decode()
    assert 'value="25"' in page and 'http-equiv="refresh"' in page


def test_too_large_is_refused_while_receiving(
    editor: Client, tmp_path: Path, settings: Any
) -> None:
    settings.ENVOL_UPLOAD_MAX_BYTES = 2048
    response = post_archive(editor, write_archive(tmp_path, SPEC))
    assert response.status_code == 413
    assert "2,0" in response.content.decode() or "2.0" in response.content.decode()
    assert not ArchiveImport.objects.exists()
    uploads = storage.data_path(storage.UPLOADS)
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_file_that_is_not_an_archive_is_explained(editor: Client) -> None:
    fake = SimpleUploadedFile("vacances.zip", b"PK not really")
    response = editor.post("/o/ville-a/imports/upload/", {"archive": fake})
    assert response.status_code == 400
    assert "archive zip" in response.content.decode()  # French by default
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ArchiveImport.objects.exists()


def test_a_failed_import_shows_why(editor: Client, org: Organisation) -> None:
    failed = ArchiveImport.objects.create(
        organisation=org,
        state=ArchiveImport.State.FAILED,
        error="data/tweets.js, line 3: broken.",
        error_fr="data/tweets.js, ligne 3 : cassé.",
    )
    page = editor.get(f"/o/ville-a/imports/{failed.pk}/").content.decode()
    assert "data/tweets.js, ligne 3 : cassé." in page and 'id="import-error"' in page


def test_viewers_and_other_organisations_get_404(org: Organisation, tmp_path: Path) -> None:
    viewer = member(org, "lecteur@a.test", Role.VIEWER)
    assert viewer.get("/o/ville-a/imports/").status_code == 404
    other = create_organisation("ville-b", "Ville B")
    theirs = ArchiveImport.objects.create(organisation=other)
    editor_b = member(other, "b@b.test", Role.EDITOR)
    assert editor_b.get(f"/o/ville-b/imports/{theirs.pk}/").status_code == 200
    editor_a = member(org, "a@a.test", Role.EDITOR)
    assert editor_a.get(f"/o/ville-a/imports/{theirs.pk}/").status_code == 404
    assert editor_a.get(f"/o/ville-b/imports/{theirs.pk}/").status_code == 404


def test_upload_needs_the_csrf_token(org: Organisation, tmp_path: Path) -> None:
    add_member(org, "csrf@a.test", Role.EDITOR, password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="csrf@a.test", password=PASSWORD)
    assert post_archive(client, write_archive(tmp_path, SPEC)).status_code == 403
