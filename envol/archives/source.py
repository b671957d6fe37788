"""Uniform, safe access to the files of an archive given as a .zip or as an unpacked folder.

Nothing is ever extracted: members are read as streams. Every zip entry is checked before any
byte is read — names that could escape a folder, symbolic links, declared sizes and compression
ratios (zip bombs) against configurable limits — so a hostile archive fails fast and loudly, as
an `ArchiveError` naming the entry, and never as a traceback from the zip library.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, BinaryIO, Final, Self

from envol.archives.errors import ArchiveError

MiB: Final = 1024 * 1024
GiB: Final = 1024 * MiB

_DRIVE = re.compile(r"^[A-Za-z]:")
_IGNORED_PREFIXES: Final = ("__MACOSX/",)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Ceilings that stop zip bombs and runaway uploads; the service layer sets them from settings.

    The ratio is only checked on members bigger than `ratio_floor_bytes`: tiny files compress
    absurdly well without harming anyone.
    """

    max_total_bytes: int = 32 * GiB
    max_member_bytes: int = 4 * GiB
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 4 * MiB
    max_members: int = 1_000_000


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` could escape the archive root, or None when it is a plain relative path."""
    if "\x00" in name:
        return "NUL character"
    if "\\" in name:
        return "backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "absolute path"
    if ".." in name.split("/"):
        return "'..' component"
    return None


class ArchiveSource(ABC):
    """Read-only view of an archive's files by their relative POSIX name (`data/tweets.js`)."""

    @abstractmethod
    def names(self) -> frozenset[str]:
        """Every regular file in the archive."""

    @abstractmethod
    def _open(self, name: str) -> IO[bytes]: ...

    @abstractmethod
    def size(self, name: str) -> int:
        """Uncompressed size in bytes."""

    def open(self, name: str) -> MemberStream:
        """A binary stream of one member; any read failure surfaces as `ArchiveError`."""
        if name not in self.names():
            raise ArchiveError("missing_file", file=name)
        return MemberStream(self._open(name), name)

    def read(self, name: str) -> bytes:
        with self.open(name) as stream:
            return stream.read()

    def close(self) -> None:  # noqa: B027 - optional hook, folders hold nothing open
        """Release the underlying file, if any."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class MemberStream:
    """One member opened for reading; any exception raised while reading becomes `ArchiveError`.

    zipfile, zlib, bz2 and lzma raise a wide and version-dependent range of exceptions on damaged
    input (BadZipFile, zlib.error, EOFError, struct.error, CRC mismatches…), so this boundary
    catches them all and names the member.
    """

    def __init__(self, inner: IO[bytes], name: str) -> None:
        self._inner = inner
        self.name = name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._inner.read(size)
        except Exception as error:  # untrusted input: see class docstring
            raise ArchiveError("corrupt_zip", file=self.name, detail=_describe(error)) from error

    def close(self) -> None:
        # Closing a damaged member must not mask the error that made us stop reading.
        with contextlib.suppress(Exception):
            self._inner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]


class ZipSource(ArchiveSource):
    """A .zip read in place; every entry is vetted when the archive is opened."""

    def __init__(self, file: str | os.PathLike[str] | BinaryIO, limits: ArchiveLimits) -> None:
        self._label = os.fspath(file) if isinstance(file, str | os.PathLike) else "archive"
        try:
            self._zip = zipfile.ZipFile(file)
            infos = self._zip.infolist()
        except ArchiveError:
            raise
        except Exception as error:  # untrusted input: zipfile raises many kinds on damage
            raise ArchiveError(
                "corrupt_zip", file=os.path.basename(self._label), detail=_describe(error)
            ) from error
        try:
            self._members = self._vet(infos, limits)
        except BaseException:
            self._zip.close()
            raise
        self._names = frozenset(self._members)

    @staticmethod
    def _vet(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> dict[str, zipfile.ZipInfo]:
        if len(infos) > limits.max_members:
            raise ArchiveError("too_many_files", detail=f"{len(infos)} > {limits.max_members}")
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            reason = unsafe_name_reason(name)
            if reason is not None:
                raise ArchiveError("unsafe_path", file=repr(name)[1:-1], detail=reason)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveError("symlink", file=name)
            if info.is_dir():
                continue
            if info.file_size > limits.max_member_bytes:
                raise ArchiveError(
                    "member_too_large",
                    file=name,
                    detail=f"{info.file_size} > {limits.max_member_bytes} bytes",
                )
            if info.file_size > limits.ratio_floor_bytes:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise ArchiveError(
                        "zip_bomb", file=name, detail=f"ratio {ratio:.0f} > {limits.max_ratio:.0f}"
                    )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise ArchiveError(
                    "too_large", detail=f"more than {limits.max_total_bytes} bytes uncompressed"
                )
            if name.startswith(_IGNORED_PREFIXES):
                continue
            members[name] = info
        return members

    def names(self) -> frozenset[str]:
        return self._names

    def size(self, name: str) -> int:
        return self._members[name].file_size

    def _open(self, name: str) -> IO[bytes]:
        try:
            return self._zip.open(self._members[name])
        except Exception as error:  # untrusted input: encrypted, unsupported method, damage
            raise ArchiveError("corrupt_zip", file=name, detail=_describe(error)) from error

    def close(self) -> None:
        self._zip.close()


class FolderSource(ArchiveSource):
    """An archive already unpacked by the user; symbolic links are refused, never followed."""

    def __init__(self, root: Path, limits: ArchiveLimits) -> None:
        self._root = root
        self._sizes: dict[str, int] = {}
        for relative, size in self._walk(root):
            if len(self._sizes) >= limits.max_members:
                raise ArchiveError("too_many_files", detail=f"more than {limits.max_members}")
            self._sizes[relative] = size
        self._names = frozenset(self._sizes)

    @staticmethod
    def _walk(root: Path) -> Iterator[tuple[str, int]]:
        pending = [(root, "")]
        while pending:
            folder, prefix = pending.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError as error:
                raise ArchiveError(
                    "unreadable", file=prefix or folder.name, detail=_describe(error)
                ) from error
            for entry in entries:
                relative = f"{prefix}{entry.name}"
                if entry.is_symlink():
                    raise ArchiveError("symlink", file=relative)
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), relative + "/"))
                elif entry.is_file(follow_symlinks=False):
                    yield relative, entry.stat(follow_symlinks=False).st_size

    def names(self) -> frozenset[str]:
        return self._names

    def size(self, name: str) -> int:
        return self._sizes[name]

    def _open(self, name: str) -> IO[bytes]:
        path = self._root / name
        try:
            # O_NOFOLLOW: the entry was a regular file when listed; refuse a link swapped in since.
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as error:
            raise ArchiveError("unreadable", file=name, detail=_describe(error)) from error
        return os.fdopen(descriptor, "rb")


ArchiveInput = str | os.PathLike[str] | bytes | BinaryIO


def open_source(archive: ArchiveInput, limits: ArchiveLimits | None = None) -> ArchiveSource:
    """Open a .zip (path, bytes or binary stream) or an unpacked folder as an `ArchiveSource`."""
    limits = limits or ArchiveLimits()
    if isinstance(archive, bytes):
        archive = io.BytesIO(archive)
    if isinstance(archive, str | os.PathLike):
        path = Path(archive)
        if path.is_dir():
            return FolderSource(path, limits)
        if not path.is_file():
            raise ArchiveError("not_found", file=str(path))
        if not _looks_like_zip(path):
            raise ArchiveError("not_a_zip", file=path.name)
        return ZipSource(path, limits)
    if not _looks_like_zip(archive):
        raise ArchiveError("not_a_zip")
    return ZipSource(archive, limits)


def _looks_like_zip(file: Path | BinaryIO) -> bool:
    try:
        return zipfile.is_zipfile(file)
    except OSError:
        return False
