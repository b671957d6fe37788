"""SIGKILL of the real `envol worker` in the middle of an archive import: nothing of the killed
attempt stays (one transaction), the next worker takes the dead one's import over at once (its
pid is gone: no lease to wait out, let alone the ten minutes of old) and imports it once."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from envol.orgs.models import Organisation
from envol.portability import storage
from envol.portability.models import ArchivedPost, ArchiveImport, Relation
from envol.testing.subprocess_db import start_worker
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SPEC = ArchiveSpec(seed=21, tweets=30_000, following=3000, followers=3000)


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout} s"
        time.sleep(0.02)


def started(archive_import: ArchiveImport) -> bool:
    progress = storage.read_progress(archive_import.pk)
    return progress is not None and progress.done > 0


def test_an_import_killed_mid_way_is_taken_over_and_imported_once(
    org: Organisation, data_dirs: Path
) -> None:
    upload = storage.new_upload_path("archive.zip")
    factory = XArchiveFactory(SPEC)
    factory.write_zip(upload)
    expected = factory.expected().counts.as_dict()
    archive_import = ArchiveImport.objects.create(
        organisation=org, file_name="archive.zip", stored_path=storage.relative_to_data(upload)
    )

    worker = start_worker(ENVOL_DATA_DIR=str(data_dirs))
    try:
        live = storage.progress_path(archive_import.pk)
        wait_for(lambda: started(archive_import), 300, "the import to write its first rows")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        worker.kill()
    archive_import.refresh_from_db()
    assert archive_import.state == ArchiveImport.State.RUNNING
    assert not Relation.objects.exists() and not ArchivedPost.objects.exists()  # rolled back
    assert upload.exists() and live.exists()

    successor = start_worker(ENVOL_DATA_DIR=str(data_dirs))
    try:
        wait_for(
            lambda: (
                ArchiveImport.objects.get(pk=archive_import.pk).state != ArchiveImport.State.RUNNING
            ),
            600,
            "the next worker to finish the import",
        )
    finally:
        successor.terminate()
        successor.wait(timeout=30)
    archive_import.refresh_from_db()
    assert archive_import.state == ArchiveImport.State.DONE, archive_import.last_error
    assert archive_import.counts == expected
    assert archive_import.added["following"] == expected["following"]  # imported once, whole
    assert Relation.objects.filter(kind="following").count() == expected["following"]
    assert ArchivedPost.objects.count() == expected["tweets"]
    assert archive_import.attempts == 3  # waiting → running, the killed step, the one that ended
    assert archive_import.lease_owner == "" and not upload.exists() and not live.exists()
