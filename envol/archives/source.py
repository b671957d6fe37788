"""Uniform, safe access to the files of an archive given as a .zip or as an unpacked folder.

Nothing is ever extracted: members are read as streams. Every zip entry is checked before any
byte is read — names that could escape a folder, symbolic links, compression methods, entries
whose data overlap, declared sizes and compression ratios (zip bombs) against configurable limits
— so a hostile archive fails fast and loudly, as an `ArchiveError` naming the entry, and never as
a traceback from the zip library.

Declared sizes are only a first filter: a zip's central directory can lie. While a member is read,
the bytes actually decompressed are counted against the same limits (per member, ratio to the
compressed size, whole archive), and a member is only ever read in bounded steps: Python 3.11's
`ZipExtFile.read()` without a size decompresses up to a gigabyte in one call before it truncates
to the declared size, and decompresses bzip2 and LZMA blocks without any bound (so only the
methods X uses, stored and deflate, are accepted).
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
    # One record of a data file (a tweet with its entities is a few KB; a long post ~100 KB), and
    # any file read whole (the manifest): the most a reader ever holds of one file at a time.
    max_record_bytes: int = 16 * MiB


READ_STEP: Final = 1 * MiB  # the most one read asks of the zip library
_SAFE_METHODS: Final = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` could escape the archive root, or None when it is a plain relative path."""
    if "\x00" in name:
        return "NUL character"
    if "\\" in name:
        return "backslash"
    # Run on every entry (tens of thousands of media files): the regex and the split only
    # for the names that can match them.
    if name.startswith("/") or (name[1:2] == ":" and _DRIVE.match(name)):
        return "absolute path"
    if ".." in name and ".." in name.split("/"):
        return "'..' component"
    return None


class ArchiveSource(ABC):
    """Read-only view of an archive's files by their relative POSIX name (`data/tweets.js`)."""

    limits: ArchiveLimits = ArchiveLimits()

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
        return MemberStream(self._open(name), name, self._meter(name))

    def _meter(self, name: str) -> ReadMeter | None:
        """What counts the bytes actually read from `name` (zip members only)."""
        return None

    def read(self, name: str, limit: int | None = None) -> bytes:
        """A whole (small) file, refused past `limit` bytes (default: the record limit)."""
        limit = self.limits.max_record_bytes if limit is None else limit
        with self.open(name) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise ArchiveError("record_too_large", file=name, detail=mebibytes(limit))
        return data

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


class ReadMeter:
    """Counts the bytes actually decompressed from one zip member (and, shared, from the whole
    archive) and stops at the limits, whatever the central directory declared."""

    def __init__(self, name: str, compressed: int, limits: ArchiveLimits, total: list[int]) -> None:
        self._name = name
        self._member_cap = min(
            limits.max_member_bytes,
            max(limits.ratio_floor_bytes, int(max(compressed, 1) * limits.max_ratio)),
        )
        self._limits = limits
        self._total = total  # one counter shared by every member of the archive
        self.read = 0

    def count(self, size: int) -> None:
        self.read += size
        self._total[0] += size
        if self.read > self._member_cap:
            if self._member_cap >= self._limits.max_member_bytes:
                raise ArchiveError(
                    "member_too_large", file=self._name, detail=f"> {self._member_cap} bytes"
                )
            raise ArchiveError(
                "zip_bomb",
                file=self._name,
                detail=f"more than {self._limits.max_ratio:.0f} times its compressed size",
            )
        if self._total[0] > self._limits.max_total_bytes:
            raise ArchiveError(
                "too_large", detail=f"more than {self._limits.max_total_bytes} bytes uncompressed"
            )


class MemberStream:
    """One member opened for reading; any exception raised while reading becomes `ArchiveError`.

    zipfile and zlib raise a wide and version-dependent range of exceptions on damaged input
    (BadZipFile, zlib.error, EOFError, struct.error, CRC mismatches…), so this boundary catches
    them all and names the member. Reads go to the library in steps of at most `READ_STEP`, and a
    `ReadMeter` counts what comes out.
    """

    def __init__(self, inner: IO[bytes], name: str, meter: ReadMeter | None = None) -> None:
        self._inner = inner
        self._meter = meter
        self.name = name

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left when `size` < 0, still read step by step)."""
        chunks: list[bytes] = []
        wanted = size if size >= 0 else None
        while wanted is None or wanted > 0:
            step = READ_STEP if wanted is None else min(wanted, READ_STEP)
            chunk = self._read_step(step)
            if not chunk:
                break
            chunks.append(chunk)
            if wanted is not None:
                wanted -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _read_step(self, size: int) -> bytes:
        try:
            chunk = self._inner.read(size)
        except Exception as error:  # untrusted input: see class docstring
            raise ArchiveError("corrupt_zip", file=self.name, detail=_describe(error)) from error
        if self._meter is not None:
            self._meter.count(len(chunk))
        return chunk

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


def mebibytes(size: int) -> str:
    return f"{size / MiB:g} MiB"


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]


class ZipSource(ArchiveSource):
    """A .zip read in place; every entry is vetted when the archive is opened."""

    def __init__(self, file: str | os.PathLike[str] | BinaryIO, limits: ArchiveLimits) -> None:
        self._label = os.fspath(file) if isinstance(file, str | os.PathLike) else "archive"
        self.limits = limits
        self._decompressed = [0]
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
            _refuse_overlaps(infos, self._zip.start_dir)
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
            if info.compress_type not in _SAFE_METHODS:
                raise ArchiveError("unsupported_compression", file=name)
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

    def _meter(self, name: str) -> ReadMeter:
        info = self._members[name]
        return ReadMeter(name, info.compress_size, self.limits, self._decompressed)

    def _open(self, name: str) -> IO[bytes]:
        try:
            return self._zip.open(self._members[name])
        except Exception as error:  # untrusted input: encrypted, unsupported method, damage
            raise ArchiveError("corrupt_zip", file=name, detail=_describe(error)) from error

    def close(self) -> None:
        self._zip.close()


def _refuse_overlaps(infos: list[zipfile.ZipInfo], directory_start: int) -> None:
    """Refuse entries whose data overlap (many names on one compressed kernel: Fifield's
    "better zip bomb"), the check Python 3.12 added to zipfile and 3.11 lacks. Each entry's
    local header (30 bytes and its name) and declared compressed data must end before the next
    entry starts, and the last one before the central directory."""
    entries = sorted(infos, key=lambda info: info.header_offset)
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        name = entry.orig_filename
        name_bytes = (  # an ASCII name is one byte per character in both encodings
            len(name)
            if name.isascii()
            else len(name.encode("utf-8" if entry.flag_bits & 0x800 else "cp437"))
        )
        end = entry.header_offset + 30 + name_bytes + entry.compress_size
        limit = directory_start if following is None else following.header_offset
        if end > limit:
            raise ArchiveError("overlapping_entries", file=entry.filename)


class FolderSource(ArchiveSource):
    """An archive already unpacked by the user; symbolic links are refused, never followed."""

    def __init__(self, root: Path, limits: ArchiveLimits) -> None:
        self._root = root
        self.limits = limits
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
