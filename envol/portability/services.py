"""Archive imports, callable alike from the CLI, the web upload and the worker.

`inspect` only reads. `import_archive` (a path given on the command line) and `run_import` (an
upload the web server stored) share one path: the import is marked running, everything is
written in ONE transaction that also marks it done, so a failure anywhere — a damaged part in
the middle of tweets.js, a database error — leaves no row behind and the import marked failed,
with the reason in French and English. Raw uploads are deleted afterwards unless kept; media
files are copied only when asked.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from envol.archives.errors import ArchiveError, ArchiveWarning
from envol.archives.source import ArchiveLimits
from envol.archives.x import XArchive
from envol.orgs.models import Organisation
from envol.orgs.services import audit
from envol.portability import storage
from envol.portability.importer import ArchiveWriter, ProgressCallback, upsert_source_account
from envol.portability.models import ArchiveImport
from envol.portability.storage import MediaStore, Progress

log = logging.getLogger(__name__)

DATABASE_REFUSED = (
    "The database refused part of the archive ({detail}). Nothing was imported; "
    "report this to your envol administrator.",
    "La base de données a refusé une partie de l'archive ({detail}). Rien n'a été importé ; "
    "signalez-le à l'administrateur d'envol.",
)


def archive_limits() -> ArchiveLimits:
    return ArchiveLimits()


def inspect(path: str | os.PathLike[str], language: str = "en") -> dict[str, Any]:
    """What `envol archive inspect --json` prints: account, counts, warnings. Writes nothing."""
    with XArchive.open(path, archive_limits()) as archive:
        counts = archive.counts().as_dict()
        account = archive.account
        return {
            "account": {
                "id": account.id,
                "username": account.username,
                "display_name": account.display_name,
            },
            "counts": counts,
            "warnings": [w.message(language) for w in archive.warnings],
        }


def warning_messages(archive_import: ArchiveImport, language: str) -> list[str]:
    return [
        ArchiveWarning(w.get("code", ""), w.get("file", ""), w.get("detail", "")).message(language)
        for w in archive_import.warnings
        if isinstance(w, dict)
    ]


# --- creating imports --------------------------------------------------------------------------


def import_archive(
    organisation: Organisation,
    path: str | os.PathLike[str],
    *,
    uploaded_by: Any = None,
    keep_archive: bool = False,
    keep_media: bool = False,
    progress: ProgressCallback | None = None,
) -> ArchiveImport:
    """Import an archive the user points at (never deleted: it is theirs; copied if kept).

    Raises `ArchiveError` after marking the import failed; the import is returned when done.
    """
    source = Path(path)
    archive_import = ArchiveImport.objects.create(
        organisation=organisation,
        uploaded_by=uploaded_by,
        file_name=source.name[:255],
        keep_archive=keep_archive,
        keep_media=keep_media,
    )
    audit(
        "portability.import_started",
        organisation=organisation,
        actor=uploaded_by,
        obj=archive_import,
        file=archive_import.file_name,
    )
    _execute(archive_import, source, progress)
    if keep_archive:
        archive_import.stored_path = storage.keep_archive(source, archive_import.pk, move=False)
        archive_import.save(update_fields=["stored_path"])
    return archive_import


def receive_upload(
    organisation: Organisation,
    upload: UploadedFile[bytes],
    *,
    uploaded_by: Any = None,
    keep_archive: bool = False,
    keep_media: bool = False,
) -> ArchiveImport:
    """Store an uploaded archive and create its pending import (the caller enqueues the task).

    The archive is opened once here, so that a file that is not an X archive is refused at once
    with the reason, instead of failing later in the worker.
    """
    target = storage.new_upload_path(upload.name or "")
    storage.write_chunks(target, upload.chunks())
    try:
        with XArchive.open(target, archive_limits()):
            pass
    except ArchiveError:
        storage.remove(target)
        raise
    archive_import = ArchiveImport.objects.create(
        organisation=organisation,
        uploaded_by=uploaded_by,
        file_name=(upload.name or "archive.zip")[:255],
        stored_path=storage.relative_to_data(target),
        keep_archive=keep_archive,
        keep_media=keep_media,
    )
    audit(
        "portability.import_uploaded",
        organisation=organisation,
        actor=uploaded_by,
        obj=archive_import,
        file=archive_import.file_name,
        size=upload.size,
    )
    return archive_import


def run_import(archive_import: ArchiveImport, progress: ProgressCallback | None = None) -> None:
    """Run a pending uploaded import, then keep or delete the upload as the organisation chose.

    An `ArchiveError` is recorded on the import (state failed), not raised: the worker's job
    is done either way.
    """
    if archive_import.state != ArchiveImport.State.PENDING:
        return  # a task delivered twice: the first delivery owns the upload
    upload = storage.data_path(archive_import.stored_path)
    live = storage.ProgressFile(archive_import.pk)

    def report(phase: str, done: int, total: int) -> None:
        live(phase, done, total)
        if progress is not None:
            progress(phase, done, total)

    try:
        _execute(archive_import, upload, report)
    except ArchiveError:
        pass
    finally:
        live.clear()
        if archive_import.keep_archive and archive_import.state == ArchiveImport.State.DONE:
            kept = storage.keep_archive(upload, archive_import.pk, move=True)
        else:
            storage.remove(upload)
            kept = ""
        archive_import.stored_path = kept
        archive_import.save(update_fields=["stored_path"])


def current_progress(archive_import: ArchiveImport) -> Progress:
    """Live figures while the import runs (from the worker's progress file), else the rows'."""
    if archive_import.state == ArchiveImport.State.RUNNING:
        live = storage.read_progress(archive_import.pk)
        if live is not None:
            return live
    return Progress(
        archive_import.phase, archive_import.progress_done, archive_import.progress_total
    )


def latest_import(organisation: Organisation) -> ArchiveImport | None:
    """The organisation's most recent archive import, whatever its state (the dashboard)."""
    return (
        ArchiveImport.objects.filter(organisation=organisation)
        .select_related("source_account")
        .order_by("-created_at", "-pk")
        .first()
    )


# --- the import itself -------------------------------------------------------------------------


def _execute(archive_import: ArchiveImport, path: Path, progress: ProgressCallback | None) -> None:
    archive_import.start()
    media_store: MediaStore | None = None
    try:
        with _collector_paused(), XArchive.open(path, archive_limits()) as archive:
            if archive_import.keep_media:
                media_store = MediaStore(archive_import.organisation_id, archive.account.id)
            declared = archive.declared_counts()
            archive_import.progress_total = sum(declared.values())
            with transaction.atomic():
                source = upsert_source_account(archive_import.organisation_id, archive)
                archive_import.source_account = source
                result = ArchiveWriter(
                    archive_import, source, archive, media_store=media_store, progress=progress
                ).run()
                archive_import.phase = "done"
                archive_import.progress_total = max(
                    archive_import.progress_total, sum(result.counts.values())
                )
                archive_import.finish(
                    counts=result.counts,
                    added=result.added,
                    warnings=result.warnings,
                    top_mentions=result.top_mentions,
                    first_post_at=result.first_post_at,
                    last_post_at=result.last_post_at,
                )
    except ArchiveError as error:
        _failed(archive_import, media_store, error.message("en"), error.message("fr"))
        raise
    except DatabaseError as error:
        log.exception("archive import %s refused by the database", archive_import.pk)
        detail = type(error).__name__
        english, french = (text.format(detail=detail) for text in DATABASE_REFUSED)
        _failed(archive_import, media_store, english, french)
        raise
    except BaseException:
        _failed(archive_import, media_store, "Internal error.", "Erreur interne.")
        raise
    audit(
        "portability.import_done",
        organisation=archive_import.organisation,
        actor=archive_import.uploaded_by,
        obj=archive_import,
        added=archive_import.added,
    )


def _failed(
    archive_import: ArchiveImport, media_store: MediaStore | None, english: str, french: str
) -> None:
    if media_store is not None:
        media_store.undo()
    archive_import.source_account = None
    archive_import.fail(english, french)
    audit(
        "portability.import_failed",
        organisation=archive_import.organisation,
        actor=archive_import.uploaded_by,
        obj=archive_import,
        error=english,
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The reader's records hold no reference cycles, yet hundreds of thousands of fresh
    objects make the cyclic collector run again and again for nothing: pause it meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


STALE_AFTER = timedelta(minutes=10)


def recover_interrupted(now: datetime | None = None) -> int:
    """Imports left `running` by a worker that died: their rows were rolled back with the
    transaction, so the import starts again from its kept upload (or fails with what to do).
    An import counts as interrupted when its live progress has not moved for STALE_AFTER."""
    from envol.portability.tasks import run_import as run_import_task

    now = now or timezone.now()
    recovered = 0
    for archive_import in ArchiveImport.objects.filter(state=ArchiveImport.State.RUNNING):
        heartbeat = storage.progress_path(archive_import.pk)
        last = (
            datetime.fromtimestamp(heartbeat.stat().st_mtime, tz=UTC)
            if heartbeat.exists()
            else archive_import.started_at
        )
        if last is not None and now - last < STALE_AFTER:
            continue
        upload = (
            storage.data_path(archive_import.stored_path) if archive_import.stored_path else None
        )
        claimed = ArchiveImport.objects.filter(
            pk=archive_import.pk, state=ArchiveImport.State.RUNNING
        )
        if upload is not None and upload.is_file():
            if claimed.update(state=ArchiveImport.State.PENDING, started_at=None):
                heartbeat.unlink(missing_ok=True)
                run_import_task.enqueue(archive_import.pk)
                recovered += 1
        elif claimed.exists():
            archive_import.fail(
                "The import was interrupted (the worker stopped) and its file is gone: "
                "upload the archive again.",
                "L'import a été interrompu (le worker s'est arrêté) et son fichier n'existe "
                "plus : déposez l'archive à nouveau.",
            )
            recovered += 1
    return recovered
