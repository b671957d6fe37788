"""An import whose worker died mid-way is taken over by the next runner from its kept upload: at
once when that worker was on this machine, once its lease ends otherwise (≤ 1 minute: a live
worker renews it); without its file it fails with what to do. A live import is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from envol.jobs.leases import LEASE, local_prefix, this_process
from envol.jobs.runner import Runner
from envol.orgs.services import create_organisation
from envol.portability import storage
from envol.portability.jobs import ARCHIVE_IMPORT
from envol.portability.models import ArchiveImport
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory


def running(org: object, owner: str, until: timezone.datetime, path: str = "") -> ArchiveImport:
    now = timezone.now()
    return ArchiveImport.objects.create(
        organisation=org,
        state=ArchiveImport.State.RUNNING,
        started_at=now,
        due_at=now,
        lease_owner=owner,
        lease_until=until,
        stored_path=path,
    )


def upload() -> str:
    path = storage.new_upload_path("archive.zip")
    XArchiveFactory(ArchiveSpec(seed=3)).write_zip(path)
    return storage.relative_to_data(path)


@pytest.mark.django_db
def test_interrupted_imports_are_taken_over_and_a_live_one_is_left() -> None:
    org = create_organisation("ville-a", "Ville A")
    now = timezone.now()
    _host, pid, _token = this_process().split(":")
    dead_here = running(org, f"{local_prefix()}{pid}:0ld70ken:1", now + LEASE, upload())
    lost_elsewhere = running(org, "elsewhere:12:abcd:1", now - timedelta(seconds=1), upload())
    live_elsewhere = running(org, "elsewhere:13:abcd:1", now + LEASE, upload())
    file_gone = running(org, f"{local_prefix()}{pid}:0ld70ken:2", now + LEASE, "imports/gone.zip")

    runner = Runner([ARCHIVE_IMPORT])
    for _round in range(3):
        runner.run_once()

    for found in (dead_here, lost_elsewhere, live_elsewhere, file_gone):
        found.refresh_from_db()
    assert dead_here.state == ArchiveImport.State.DONE and dead_here.counts["following"] > 0
    assert lost_elsewhere.state == ArchiveImport.State.DONE
    assert live_elsewhere.state == ArchiveImport.State.RUNNING
    assert live_elsewhere.lease_owner == "elsewhere:13:abcd:1"
    assert file_gone.state == ArchiveImport.State.FAILED
    assert "upload the archive again" in file_gone.error and file_gone.error_fr
