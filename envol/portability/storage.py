"""Where archive imports keep files: uploads waiting for the worker, kept archives, media, progress.

Everything lives under the data directory (MEDIA_ROOT for media), which the web server and the
workers share: the worker must read the upload the web server received, so the same place also
carries the live progress of a running import (the import's rows are only written when its one
transaction commits, so progress cannot go through the database).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import orjson
from django.conf import settings

UPLOADS: Final = "imports/uploads"
KEPT: Final = "imports/kept"
PROGRESS: Final = "imports/progress"
MEDIA: Final = "x-media"
# A media file name as X writes it (`<tweet id>-<name>.<ext>`); anything else is not copied.
_SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
PROGRESS_INTERVAL_S: Final = 0.5


def data_path(relative: str) -> Path:
    return Path(settings.DATA_DIR) / relative


def relative_to_data(path: Path) -> str:
    return str(path.relative_to(Path(settings.DATA_DIR)))


def new_upload_path(original_name: str) -> Path:
    """A fresh, unguessable file name for an upload (the user's name is only displayed)."""
    folder = data_path(UPLOADS)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".zip" if original_name.lower().endswith(".zip") else ""
    return folder / f"{uuid.uuid4().hex}{suffix}"


def write_chunks(target: Path, chunks: Iterable[bytes]) -> int:
    size = 0
    with target.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    return size


def keep_archive(source: Path, import_id: int, *, move: bool) -> str:
    """Put the archive (file or folder) where kept archives live; return its data-relative path."""
    folder = data_path(KEPT) / str(import_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (source.name if source.is_dir() else "archive.zip")
    if move:
        shutil.move(source, target)
    elif source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copyfile(source, target)
    return relative_to_data(target)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


class MediaStore:
    """Copies media files of one source account under MEDIA_ROOT; can undo what it copied."""

    def __init__(self, organisation_id: int, account_remote_id: str) -> None:
        self.relative_folder = f"{MEDIA}/{organisation_id}/{account_remote_id}"
        self.folder = Path(settings.MEDIA_ROOT) / self.relative_folder
        self.written: list[Path] = []

    def accepts(self, file_name: str) -> bool:
        return bool(_SAFE_FILE_NAME.match(file_name)) and ".." not in file_name

    def save(self, file_name: str, stream: Readable) -> str:
        """Copy one file (name already checked with `accepts`); return its MEDIA_ROOT path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / file_name
        existed = target.exists()
        with target.open("wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        if not existed:
            self.written.append(target)
        return f"{self.relative_folder}/{file_name}"

    def undo(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()


@dataclass(frozen=True, slots=True)
class Progress:
    phase: str
    done: int
    total: int

    @property
    def percent(self) -> int | None:
        if self.total <= 0:
            return None
        return min(100, self.done * 100 // self.total)


def progress_path(import_id: int) -> Path:
    return data_path(PROGRESS) / f"{import_id}.json"


class ProgressFile:
    """The live progress of one import, written at most twice a second, atomically."""

    def __init__(self, import_id: int) -> None:
        self.path = progress_path(import_id)
        self._last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL_S and done < total:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(orjson.dumps({"phase": phase, "done": done, "total": total}))
        temporary.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def read_progress(import_id: int) -> Progress | None:
    try:
        raw = orjson.loads(progress_path(import_id).read_bytes())
        return Progress(str(raw["phase"]), int(raw["done"]), int(raw["total"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
