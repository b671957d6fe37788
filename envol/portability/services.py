"""Archive imports, callable alike from the CLI, the web upload and the worker.

`inspect` only reads. `import_archive` (a path given on the command line) and an upload the web
server stored (`receive_upload`) are both jobs of the engine (`portability/jobs.py`): the import
is marked running, then everything is written in ONE transaction that also marks it done, so a
failure anywhere — a damaged part in the middle of tweets.js, a database error, a killed worker —
leaves no row behind; the import is marked failed with the reason in French and English, or, when
its worker died, taken over by another. Raw uploads are deleted afterwards unless kept; media files
are copied only when asked.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction

from envol.archives.errors import ArchiveError, ArchiveWarning
from envol.archives.source import ArchiveLimits
from envol.archives.x import XArchive
from envol.archives.x_records import Counts
from envol.jobs.kinds import Outcome, Step, to
from envol.orgs.models import Organisation
from envol.orgs.services import audit
from envol.portability import storage
from envol.portability.importer import ArchiveWriter, ProgressCallback, upsert_source_account
from envol.portability.models import ArchiveImport
from envol.portability.signals import import_finished
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
    """Import an archive the user points at, here and now (never deleted: it is theirs; copied
    if kept). The import is a job like an upload's: if this process dies, a worker resumes it.

    Raises `ArchiveError` after marking the import failed; the import is returned when done.
    """
    source = Path(path)
    archive_import = ArchiveImport.objects.create(
        organisation=organisation,
        uploaded_by=uploaded_by,
        file_name=source.name[:255],
        source_file=str(source.resolve()),
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
    context: dict[str, Any] = {}
    run_import(archive_import, progress, context)
    if isinstance(context.get("error"), ArchiveError):
        raise context["error"]
    if archive_import.counts:  # in the documented order (PostgreSQL's jsonb keeps none)
        archive_import.counts = Counts(**archive_import.counts).as_dict()
    return archive_import


def receive_upload(
    organisation: Organisation,
    upload: UploadedFile[bytes],
    *,
    uploaded_by: Any = None,
    keep_archive: bool = False,
    keep_media: bool = False,
) -> ArchiveImport:
    """Store an uploaded archive and create its pending import, due at once for the workers.

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


def run_import(
    archive_import: ArchiveImport,
    progress: ProgressCallback | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    """Run a pending import in this process until it ends (the workers do the same). An
    `ArchiveError` is recorded on the import (state failed), not raised; a finished import is
    left alone."""
    from envol.jobs.runner import run_to_end

    kept = {} if context is None else context
    if progress is not None:
        kept["progress"] = progress
    run_to_end(archive_import, context=kept)


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


# --- the import itself: the job's handlers (portability/jobs.py) --------------------------------


def archive_path(archive_import: ArchiveImport) -> Path | None:
    """The file to read: the stored upload, or the user's own file; None when it is gone."""
    if archive_import.stored_path:
        path = storage.data_path(archive_import.stored_path)
    elif archive_import.source_file:
        path = Path(archive_import.source_file)
    else:
        return None
    return path if path.exists() else None


GONE = (
    "The import was interrupted (the worker stopped) and its file is gone: "
    "upload the archive again.",
    "L'import a été interrompu (le worker s'est arrêté) et son fichier n'existe "
    "plus : déposez l'archive à nouveau.",
)
INTERNAL = (
    "The import stopped on an internal error; nothing was imported. Report it to your envol "
    "administrator.",
    "L'import s'est arrêté sur une erreur interne ; rien n'a été importé. Signalez-le à "
    "l'administrateur d'envol.",
)


def _failed(english: str, french: str) -> Outcome:
    return to(
        ArchiveImport.State.FAILED,
        fields={"error": english, "error_fr": french, "source_account": None},
    )


def begin_import(archive_import: ArchiveImport, step: Step) -> Outcome:
    """pending → running (the page says "Importing…" from here on)."""
    if archive_path(archive_import) is None:
        return _failed(*GONE)
    return to(ArchiveImport.State.RUNNING)


def import_step(archive_import: ArchiveImport, step: Step) -> Outcome:
    """The whole import in ONE transaction that also marks it done (the engine runs this state
    atomically): a failure anywhere — a damaged part in the middle of tweets.js, a database
    error, a killed worker — leaves no row behind. A killed worker's import is taken over by
    another from the start; its lease, renewed by a heartbeat, says whether it still runs."""
    path = archive_path(archive_import)
    if path is None:
        return _failed(*GONE)
    live = storage.ProgressFile(archive_import.pk)
    caller = step.context.get("progress")

    def report(phase: str, done: int, total: int) -> None:
        live(phase, done, total)
        if caller is not None:
            caller(phase, done, total)

    media_store: MediaStore | None = None
    try:
        limits = archive_limits()
        with _collector_paused(), XArchive.open(path, limits) as archive:
            if archive_import.keep_media:
                media_store = MediaStore(archive_import.organisation_id, archive.account.id)
            declared = archive.declared_counts()
            archive_import.progress_total = sum(declared.values())
            with transaction.atomic():  # a savepoint: a refused row undoes only the import
                source = upsert_source_account(archive_import.organisation_id, archive)
                result = ArchiveWriter(
                    archive_import,
                    source,
                    archive,
                    media_store=media_store,
                    progress=report,
                    reopen=(Path(path), limits),
                ).run()
    except ArchiveError as error:
        if media_store is not None:
            media_store.undo()
        step.context["error"] = error
        return _failed(error.message("en"), error.message("fr"))
    except DatabaseError as error:
        log.exception("archive import %s refused by the database", archive_import.pk)
        if media_store is not None:
            media_store.undo()
        detail = type(error).__name__
        return _failed(*(text.format(detail=detail) for text in DATABASE_REFUSED))
    except BaseException:
        if media_store is not None:
            media_store.undo()
        raise
    total = max(archive_import.progress_total, sum(result.counts.values()))
    return to(
        ArchiveImport.State.DONE,
        fields={
            "source_account": source,
            "counts": result.counts,
            "added": result.added,
            "warnings": result.warnings,
            "top_mentions": result.top_mentions,
            "first_post_at": result.first_post_at,
            "last_post_at": result.last_post_at,
            "phase": "done",
            "progress_total": total,
            "progress_done": total,
        },
    )


def on_transition(
    archive_import: ArchiveImport, previous: str, actor: Any, detail: Mapping[str, Any]
) -> None:
    """An import that ended: its live progress goes, its upload is kept or deleted as the
    organisation chose (a user's own file is never deleted), the audit log says how it ended,
    and whatever waits for it hears it (`signals.import_finished`)."""
    state = archive_import.state
    if state not in (ArchiveImport.State.DONE, ArchiveImport.State.FAILED):
        return
    storage.ProgressFile(archive_import.pk).clear()
    if state == ArchiveImport.State.FAILED and not archive_import.error:
        english, french = INTERNAL  # failed by the engine after repeated errors
        archive_import.error, archive_import.error_fr = english, french
    _keep_or_delete(archive_import)
    archive_import.save(update_fields=["stored_path", "error", "error_fr"])
    done = state == ArchiveImport.State.DONE
    audit(
        "portability.import_done" if done else "portability.import_failed",
        organisation=archive_import.organisation,
        actor=archive_import.uploaded_by,
        obj=archive_import,
        **({"added": archive_import.added} if done else {"error": archive_import.error}),
    )
    import_finished.send(sender=ArchiveImport, archive_import=archive_import)


def _keep_or_delete(archive_import: ArchiveImport) -> None:
    kept = archive_import.keep_archive and archive_import.state == ArchiveImport.State.DONE
    if archive_import.stored_path:
        upload = storage.data_path(archive_import.stored_path)
        if kept and upload.exists():
            archive_import.stored_path = storage.keep_archive(upload, archive_import.pk, move=True)
        else:
            storage.remove(upload)
            archive_import.stored_path = ""
    elif kept and archive_import.source_file:
        source = Path(archive_import.source_file)
        archive_import.stored_path = storage.keep_archive(source, archive_import.pk, move=False)


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
