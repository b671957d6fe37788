"""A dataset file as staged chunks: the unit an import merges and commits.

Why chunks: each one is merged and committed on its own, so an interrupted import resumes
after its last chunk, other writers get the database between chunks, and the index pages a
merge dirties stay in the page cache until its commit.

Why a reader process for large files: checking millions of rows is Python work that holds
the GIL, and so is formatting them for the database; merging is the database's work. A spawned
child reads and checks the file while this process merges the previous chunk, so the two
overlap on two cores (a thread would not do: measured on PostgreSQL, its GIL slowed the COPY
beside it fourfold). On SQLite (the embedded default, where imports are slowest) the child
stages each chunk into a SQLite file of its own, which this process attaches and merges: no
row crosses a pipe. On PostgreSQL the child sends each batch as COPY text (~100 bytes a link,
at most a chunk of PG_CHUNK_LINKS ahead: memory stays bounded), which this process copies
into a temporary table. Small files are read and staged here.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection

from envol.crosswalk import staging
from envol.crosswalk.dataset import (
    BATCH_ROWS,
    ERRORS_KEPT,
    DatasetError,
    Rejections,
    RowError,
    read_dataset,
)
from envol.processes import Reader, ReaderStopped, die_with_parent, process_alive, reader_process

CHUNK_LINKS = 1_000_000  # default of settings.ENVOL_CROSSWALK_CHUNK_LINKS
PG_CHUNK_LINKS = 250_000  # at most, on PostgreSQL: what the reader process sends ahead
# Above this size, on SQLite, a child process reads the file (below, starting it costs more).
CHILD_ABOVE_BYTES = 20_000_000
ATTACHED = "envol_chunk"
CHUNK_DIRECTORY = "envol-crosswalk-"  # + the importing process's pid, in the temporary directory


@dataclass
class Chunk:
    table: str  # where its links are staged
    last_line: int  # the file's last line it covers
    after_line: int = 0  # the line before its first
    links: int = 0
    errors: list[RowError] = field(default_factory=list)  # kept rejections (see Rejections)
    rejected: int = 0
    shared: bool = False  # staged where other connections read it: merged in halves


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

    def add(self, links: int, last_line: int, table: str) -> bool:
        """Counts a batch of `links` up to `last_line` in the current chunk; True when full."""
        if self.chunk is None:
            self.chunk = Chunk(table, self.last_line, self.last_line)
        self.chunk.links += links
        self.chunk.last_line = self.last_line = last_line
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
    shared_as: str | None = None,
    settle: Callable[[str | None], None] | None = None,
) -> Generator[Chunk, None, None]:
    """The file's links from the line after `after_line`, staged chunk by chunk (of about
    `size` links, CHUNK_LINKS by default). Merge each chunk before asking for the next: its
    table is then emptied or detached — except with `shared_as` (a name for this import's
    tables), where a large file on PostgreSQL outside a transaction is staged in tables
    other connections read (see `_chunks_in_shared_tables`; then `Chunk.shared`)."""
    links = size if size else int(getattr(settings, "ENVOL_CROSSWALK_CHUNK_LINKS", CHUNK_LINKS))
    try:
        large = path.stat().st_size > CHILD_ABOVE_BYTES
    except OSError:
        large = False  # read_dataset says why the file cannot be read
    if large and connection.vendor == "sqlite":
        return _chunk_files(path, default_confidence, after_line, progress, links)
    rejections = Rejections()
    batches: Iterable[_Batch]
    if large and connection.vendor == "postgresql":
        links = min(links, PG_CHUNK_LINKS)
        depth = links // BATCH_ROWS + 2  # a batch of BATCH_ROWS rows holds at least as many links
        batches = _copy_text_batches(
            path, default_confidence, rejections, progress, after_line, depth
        )
        if shared_as and settle and not connection.in_atomic_block:
            cutter = _ChunkCutter(rejections, after_line, links)
            return _chunks_in_shared_tables(batches, cutter, shared_as, settle)
    else:
        batches = (
            _Batch(batch.links, len(batch.links), batch.last_line)
            for batch in read_dataset(path, default_confidence, rejections, progress, after_line)
        )
    return _chunks_in_temporary_table(batches, _ChunkCutter(rejections, after_line, links))


class _Batch(NamedTuple):
    rows: Any  # COPY text (PostgreSQL's reader process), or the links themselves
    links: int
    last_line: int


# --- PostgreSQL: a child process formats the rows as COPY text ------------------------------


def _read_as_copy_text(
    path: str, default_confidence: float, after_line: int, out: Any, position: Any
) -> None:
    """The child: each message is a batch (_Batch, rejections kept, rejections counted), then
    None; or a DatasetError."""
    die_with_parent()
    rejections, kept, counted = Rejections(), 0, 0

    def note(done: int) -> None:
        position.value = done

    try:
        for batch in read_dataset(Path(path), default_confidence, rejections, note, after_line):
            rows = staging.copy_text(batch.links)
            errors, rejected = rejections.errors[kept:], rejections.count - counted
            kept, counted = len(rejections.errors), rejections.count
            out.put((_Batch(rows, len(batch.links), batch.last_line), errors, rejected))
        out.put(None)
    except DatasetError as exc:
        out.put(exc)


def _copy_text_batches(
    path: Path,
    default_confidence: float,
    rejections: Rejections,
    progress: Callable[[int], None] | None,
    after_line: int,
    depth: int,
) -> Generator[_Batch, None, None]:
    """The file's batches as COPY text from a reader process, at most `depth` batches ahead
    (its rejections are counted here as each batch arrives, so a chunk counts its own)."""
    args = (str(path), default_confidence, after_line)
    with reader_process(_read_as_copy_text, args, depth) as reader:
        for batch, errors, rejected in _messages(reader, path, progress):
            rejections.count += rejected
            rejections.errors += errors[: ERRORS_KEPT - len(rejections.errors)]
            yield batch


def _stage_here(cursor: Any, batch: _Batch, table: str = staging.STAGING) -> None:
    if connection.vendor == "postgresql":
        rows = batch.rows if isinstance(batch.rows, bytes) else staging.copy_text(batch.rows)
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            copy.write(rows)
    else:
        staging.stage(cursor, batch.rows)


def _chunks_in_temporary_table(
    batches: Iterable[_Batch], cutter: _ChunkCutter
) -> Generator[Chunk, None, None]:
    with connection.cursor() as cursor:
        staging.create_temporary(cursor)
        try:
            for batch in batches:
                _stage_here(cursor, batch)
                if cutter.add(batch.links, batch.last_line, staging.STAGING):
                    yield from _emptied_after(cursor, cutter.cut())
            yield from _emptied_after(cursor, cutter.cut())
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {staging.STAGING}")


def _shared_tables(name: str) -> list[str]:
    """The two staging tables of the import `name`."""
    return [f"{staging.STAGING}_{name}_{slot}" for slot in (0, 1)]


def drop_shared_tables(keep: Iterable[str]) -> None:
    """Drop the staging tables a killed import left (PostgreSQL), but those of the imports
    `keep` names (those that may resume: theirs are emptied then)."""
    if connection.vendor != "postgresql":
        return
    kept = {table for name in keep for table in _shared_tables(name)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename LIKE %s",
            [staging.STAGING.replace("_", "\\_") + "\\_%"],
        )
        for (table,) in cursor.fetchall():
            if table not in kept:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _chunks_in_shared_tables(
    batches: Iterable[_Batch],
    cutter: _ChunkCutter,
    name: str,
    settle: Callable[[str | None], None],
) -> Generator[Chunk, None, None]:
    """Chunks staged in turn into two unlogged tables (no log written: the rows are the file's,
    staged again if the server stops), each COPY committed, so that other connections merge a
    chunk while the next one is staged. A table is emptied just before it is filled again,
    and the tables dropped at the end, once settled."""
    tables = _shared_tables(name)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE UNLOGGED TABLE {table} ({staging.COLUMNS})")
        try:
            slot = 0
            for batch in batches:
                _stage_here(cursor, batch, tables[slot])
                if cutter.add(batch.links, batch.last_line, tables[slot]):
                    yield _shared(cutter.cut())
                    slot = 1 - slot
                    settle(tables[slot])
                    cursor.execute(f"TRUNCATE {tables[slot]}")
            last = cutter.cut()
            if last is not None:
                yield _shared(last)
        finally:
            settle(None)
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _shared(chunk: Chunk | None) -> Chunk:
    assert chunk is not None  # a batch was just added to it
    chunk.shared = True
    return chunk


def _emptied_after(cursor: Any, chunk: Chunk | None) -> Generator[Chunk, None, None]:
    if chunk is not None:
        yield chunk
        empty = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
        cursor.execute(f"{empty} {staging.STAGING}")


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
            if cutter.add(len(batch.links), batch.last_line, f"{ATTACHED}.{staging.STAGING}"):
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
    _remove_orphan_chunk_directories()
    with (
        tempfile.TemporaryDirectory(prefix=f"{CHUNK_DIRECTORY}{os.getpid()}-") as directory,
        # One chunk ahead: bounds the disk the child may fill.
        reader_process(
            _write_chunk_files, (str(path), default_confidence, after_line, directory, size), 1
        ) as reader,
    ):
        for file, chunk in _messages(reader, path, progress):
            with connection.cursor() as cursor:
                cursor.execute(f"ATTACH DATABASE %s AS {ATTACHED}", [file])
            try:
                yield chunk
            finally:
                with connection.cursor() as cursor:
                    cursor.execute(f"DETACH DATABASE {ATTACHED}")
                os.unlink(file)


def _remove_orphan_chunk_directories() -> None:
    """Chunk files an import killed mid-file left behind (its pid is in their directory's
    name): a resumed import stages its own again."""
    for directory in Path(tempfile.gettempdir()).glob(f"{CHUNK_DIRECTORY}*-*"):
        pid = directory.name.removeprefix(CHUNK_DIRECTORY).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)


def _messages(reader: Reader, path: Path, progress: Callable[[int], None] | None) -> Iterator[Any]:
    """The messages of a reader process, its unexpected stop reported as the file's error."""
    try:
        yield from reader.messages(progress)
    except ReaderStopped:
        raise DatasetError(f"{path.name}: the reader stopped unexpectedly.") from None
