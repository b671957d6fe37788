# ruff: noqa: S608 - SQL is built from constant table names; values always go as parameters
"""A dataset file as staged chunks: the unit an import merges and commits.

Why chunks: each one is merged and committed on its own, so an interrupted import resumes
after its last chunk, other writers get the database between chunks, and the index pages a
merge dirties stay in the page cache until its commit.

Why a child process writes SQLite chunk files: checking millions of rows is Python work that
holds the GIL, and so is binding them for the database. On SQLite (the embedded default, where
imports are slowest) a child reads, checks and stages the file into chunk files of its own
while this process merges the previous chunk from its attached file: reading overlaps merging,
and no row crosses a pipe. Elsewhere (PostgreSQL, small files) rows are staged here into a
temporary table, by COPY on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from envol.crosswalk import staging
from envol.crosswalk.dataset import DatasetError, ReadBatch, Rejections, RowError, read_dataset
from envol.processes import die_with_parent, process_alive

CHUNK_LINKS = 1_000_000  # default of settings.ENVOL_CROSSWALK_CHUNK_LINKS
# Above this size, on SQLite, a child process reads the file (below, starting it costs more).
CHILD_ABOVE_BYTES = 20_000_000
POLL_SECONDS = 0.5
ATTACHED = "envol_chunk"
CHUNK_DIRECTORY = "envol-crosswalk-"  # + the importing process's pid, in the temporary directory


@dataclass
class Chunk:
    table: str  # where its links are staged
    last_line: int  # the file's last line it covers
    links: int = 0
    errors: list[RowError] = field(default_factory=list)  # kept rejections (see Rejections)
    rejected: int = 0


class _ChunkCutter:
    """Cuts batches into chunks of about `size` links, with their share of the rejections.
    The first chunk is a quarter of that: merging it into a small index is quick, and the
    merging of a file read by a child starts that much sooner."""

    def __init__(self, rejections: Rejections, after_line: int, size: int) -> None:
        self.rejections, self.size = rejections, size
        self.kept, self.counted = len(rejections.errors), rejections.count
        self.chunk: Chunk | None = None
        self.last_line = after_line
        self.target = max(size // 4, 1)

    def add(self, batch: ReadBatch, table: str) -> bool:
        """Counts `batch` in the current chunk; True when the chunk is full."""
        if self.chunk is None:
            self.chunk = Chunk(table, self.last_line)
        self.chunk.links += len(batch.links)
        self.chunk.last_line = self.last_line = batch.last_line
        return self.chunk.links >= self.target

    def cut(self) -> Chunk | None:
        chunk, self.chunk = self.chunk, None
        self.target = self.size
        if chunk is not None:
            chunk.errors = self.rejections.errors[self.kept :]
            chunk.rejected = self.rejections.count - self.counted
            self.kept, self.counted = len(self.rejections.errors), self.rejections.count
        return chunk


def staged_chunks(
    path: Path,
    default_confidence: float,
    *,
    after_line: int = 0,
    progress: Callable[[int], None] | None = None,
    size: int | None = None,
) -> Generator[Chunk, None, None]:
    """The file's links from the line after `after_line`, staged chunk by chunk (of about
    `size` links, CHUNK_LINKS by default). Merge each chunk before asking for the next: its
    table is then emptied or detached."""
    links = size if size else int(getattr(settings, "ENVOL_CROSSWALK_CHUNK_LINKS", CHUNK_LINKS))
    try:
        large = path.stat().st_size > CHILD_ABOVE_BYTES
    except OSError:
        large = False  # read_dataset says why the file cannot be read
    if large and connection.vendor == "sqlite":
        return _chunk_files(path, default_confidence, after_line, progress, links)
    rejections = Rejections()
    batches = read_dataset(path, default_confidence, rejections, progress, after_line)
    return _chunks_in_temporary_table(batches, _ChunkCutter(rejections, after_line, links))


def _stage_here(cursor: Any, links: list[staging.StagedLink]) -> None:
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {staging.STAGING} FROM STDIN") as copy:
            copy.write(staging.copy_text(links))
    else:
        staging.stage(cursor, links)


def _chunks_in_temporary_table(
    batches: Iterable[ReadBatch], cutter: _ChunkCutter
) -> Generator[Chunk, None, None]:
    with connection.cursor() as cursor:
        staging.create_temporary(cursor)
        try:
            for batch in batches:
                _stage_here(cursor, batch.links)
                if cutter.add(batch, staging.STAGING):
                    yield from _emptied_after(cursor, cutter.cut())
            yield from _emptied_after(cursor, cutter.cut())
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {staging.STAGING}")


def _emptied_after(cursor: Any, chunk: Chunk | None) -> Generator[Chunk, None, None]:
    if chunk is not None:
        yield chunk
        cursor.execute(f"DELETE FROM {staging.STAGING}")


# --- SQLite: a child process writes chunk files ---------------------------------------------


def _write_chunk_files(
    path: str,
    default_confidence: float,
    after_line: int,
    directory: str,
    size: int,
    out: Any,
    position: Any,
) -> None:
    """The child: each message is a written chunk (file, Chunk), then None; or a DatasetError."""
    die_with_parent()  # a killed import leaves no reader behind
    rejections = Rejections()
    cutter = _ChunkCutter(rejections, after_line, size)
    files = 0
    db: sqlite3.Connection | None = None

    def note(done: int) -> None:
        position.value = done

    def finish() -> None:
        nonlocal db
        chunk = cutter.cut()
        if db is not None and chunk is not None:
            db.commit()
            db.close()
            db = None
            out.put((os.path.join(directory, f"chunk-{files}.sqlite3"), chunk))

    try:
        for batch in read_dataset(Path(path), default_confidence, rejections, note, after_line):
            if db is None:
                files += 1
                db = sqlite3.connect(os.path.join(directory, f"chunk-{files}.sqlite3"))
                # A scratch file: if the machine stops, the import resumes from its last commit.
                db.execute("PRAGMA page_size=65536")  # read whole by the merge: few large pages
                db.execute("PRAGMA journal_mode=OFF")
                db.execute("PRAGMA synchronous=OFF")
                db.execute(staging.create_sql(temporary=False))
            staging.stage(db, batch.links, "?")
            if cutter.add(batch, f"{ATTACHED}.{staging.STAGING}"):
                finish()
        finish()
        out.put(None)
    except DatasetError as exc:
        out.put(exc)


def _chunk_files(
    path: Path,
    default_confidence: float,
    after_line: int,
    progress: Callable[[int], None] | None,
    size: int,
) -> Generator[Chunk, None, None]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=1)  # one chunk ahead: bounds the disk the child may fill
    position = context.Value("q", 0, lock=False)
    _remove_orphan_chunk_directories()
    with tempfile.TemporaryDirectory(prefix=f"{CHUNK_DIRECTORY}{os.getpid()}-") as directory:
        child = context.Process(
            target=_write_chunk_files,
            args=(str(path), default_confidence, after_line, directory, size, out, position),
            daemon=True,
        )
        child.start()
        try:
            while (message := _next_message(out, child, path, position, progress)) is not None:
                file, chunk = message
                with connection.cursor() as cursor:
                    cursor.execute(f"ATTACH DATABASE %s AS {ATTACHED}", [file])
                try:
                    yield chunk
                finally:
                    with connection.cursor() as cursor:
                        cursor.execute(f"DETACH DATABASE {ATTACHED}")
                    os.unlink(file)
        finally:
            if child.is_alive():
                child.terminate()
            child.join()
            out.close()


def _remove_orphan_chunk_directories() -> None:
    """Chunk files an import killed mid-file left behind (its pid is in their directory's
    name): a resumed import stages its own again."""
    for directory in Path(tempfile.gettempdir()).glob(f"{CHUNK_DIRECTORY}*-*"):
        pid = directory.name.removeprefix(CHUNK_DIRECTORY).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)


def _next_message(
    out: Any,
    child: Any,
    path: Path,
    position: Any,
    progress: Callable[[int], None] | None,
) -> tuple[str, Chunk] | None:
    while True:
        try:
            message = out.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if not child.is_alive():
                raise DatasetError(f"{path.name}: the reader stopped unexpectedly.") from None
            if progress is not None:
                progress(position.value)
            continue
        if isinstance(message, DatasetError):
            raise message
        if progress is not None:
            progress(position.value)
        return message  # type: ignore[no-any-return]
