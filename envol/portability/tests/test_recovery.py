"""An import whose worker died mid-way (state running, no progress for a while) starts again
from its kept upload; without the upload it fails with what to do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from envol.orgs.services import create_organisation
from envol.portability import services, storage
from envol.portability.models import ArchiveImport
from envol.portability.tasks import run_import
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory


@pytest.mark.django_db
def test_interrupted_import_restarts_then_completes(tmp_path: Path) -> None:
    org = create_organisation("ville-a", "Ville A")
    upload = storage.new_upload_path("archive.zip")
    XArchiveFactory(ArchiveSpec(seed=3)).write_zip(upload)
    crashed = ArchiveImport.objects.create(
        organisation=org,
        state=ArchiveImport.State.RUNNING,
        started_at=timezone.now() - timedelta(minutes=30),
        stored_path=storage.relative_to_data(upload),
    )
    fresh = ArchiveImport.objects.create(
        organisation=org, state=ArchiveImport.State.RUNNING, started_at=timezone.now()
    )
    assert services.recover_interrupted() == 1  # the fresh one is still alive
    crashed.refresh_from_db()
    assert crashed.state == ArchiveImport.State.PENDING
    assert DBTaskResult.objects.count() == 1
    run_import.call(crashed.pk)  # what the worker does with the queued task
    crashed.refresh_from_db()
    assert crashed.state == ArchiveImport.State.DONE and crashed.counts["following"] > 0
    fresh.refresh_from_db()
    assert fresh.state == ArchiveImport.State.RUNNING


@pytest.mark.django_db
def test_interrupted_import_without_its_file_fails_clearly() -> None:
    org = create_organisation("ville-a", "Ville A")
    lost = ArchiveImport.objects.create(
        organisation=org,
        state=ArchiveImport.State.RUNNING,
        started_at=timezone.now() - timedelta(hours=1),
        stored_path="imports/gone.zip",
    )
    assert services.recover_interrupted() == 1
    lost.refresh_from_db()
    assert lost.state == ArchiveImport.State.FAILED and "upload the archive again" in lost.error
