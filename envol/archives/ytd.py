"""Stream the elements of an X data file, `window.YTD.<type>.part<N> = [ … ]`, with bounded memory.

A tweets file can weigh hundreds of megabytes in a single part, so it is never held whole: it is
read in blocks and cut between top-level elements, where X's own layout (two-space indentation)
puts `\\n  },\\n  {`. A raw newline cannot occur inside a JSON string, so that pattern is always
structure; each cut piece is parsed with orjson and its elements are handed out before the next
block is read.

If the layout is not X's (a re-indented or minified file) a cut can fall inside an element, or no
cut comes at all: the piece then fails to parse, or grows past the record limit, and the file is
read again by a structural scanner (`_iter_scanned`) that follows strings and brackets to find
each element's end, still one element in memory at a time. It also locates a real defect to the
exact line, from orjson's error position within the element. Several processes can share one
file's work: each parses every n-th piece (a `Shard`); a file that needs the scanner cannot be
shared and says so (`UnshardableFile`). No element may exceed
`ArchiveLimits.max_record_bytes`: a file that never reaches an element's end (a hostile archive)
stops there, however large it claims to be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import orjson

from envol.archives.errors import ArchiveError
from envol.archives.source import ArchiveSource, MemberStream, mebibytes

# Small pieces keep the parsed objects few and young: measured fastest at ~64 KiB.
READ_BLOCK_BYTES: Final = 64 * 1024
_ELEMENT_BOUNDARY: Final = b"\n  },\n  {"
_BOM: Final = b"\xef\xbb\xbf"
_HEADER_WINDOW: Final = 4096
_DATA_HEADER = re.compile(rb"\s*window\.YTD\.[A-Za-z0-9_]+\.part[0-9]+\s*$")
_MANIFEST_HEADER = re.compile(rb"\s*window\.__THAR_CONFIG\s*$")
_OUTSIDE_STRING = re.compile(rb'[\[\]{},"]')
_INSIDE_STRING = re.compile(rb'["\\]')
_TRAILER = re.compile(rb"\s*;?\s*")


class _CutFailed(Exception):
    """A piece between two guessed boundaries did not parse, or no boundary came: scan instead."""


class UnshardableFile(Exception):
    """The file is not in X's layout: only a scan of the whole file finds its elements, which
    one process must make (the caller reads it again, unshared)."""


@dataclass(frozen=True)
class Shard:
    """A process's share of one file: the pieces whose number modulo `count` falls in
    [`first`, `first + width`), and only those (cutting costs little, parsing is the work)."""

    first: int
    count: int
    width: int = 1

    def takes(self, piece_number: int) -> bool:
        return 0 <= piece_number % self.count - self.first < self.width


def iter_elements(
    source: ArchiveSource,
    name: str,
    block_bytes: int = READ_BLOCK_BYTES,
    shard: Shard | None = None,
) -> Iterator[Any]:
    """Yield the elements of the array in data file `name`, one block in memory at a time
    (with a `shard`: only that shard's share of them, or `UnshardableFile`)."""
    handed_out = 0
    try:
        for element in _iter_cut(source, name, block_bytes, shard):
            handed_out += 1
            yield element
    except _CutFailed:
        if shard is not None:
            raise UnshardableFile(name) from None
        for index, element in enumerate(_iter_scanned(source, name, block_bytes)):
            if index >= handed_out:
                yield element


def read_assignment(source: ArchiveSource, name: str, header: re.Pattern[bytes]) -> Any:
    """Parse a whole (small) `<global> = <json>` file such as the manifest."""
    data = source.read(name)
    start = _value_start(data, name, header)
    return _loads_located(data, start, name)


def read_manifest(source: ArchiveSource, name: str) -> Any:
    return read_assignment(source, name, _MANIFEST_HEADER)


def _value_start(data: bytes, name: str, header: re.Pattern[bytes]) -> int:
    """Offset of the JSON value after `=`, once the left-hand side is checked."""
    offset = len(_BOM) if data.startswith(_BOM) else 0
    equals = data.find(b"=", offset, offset + _HEADER_WINDOW)
    if equals < 0 or not header.match(data, offset, equals):
        raise ArchiveError("not_a_data_file", file=name, line=1)
    return equals + 1


def _value_end(data: bytes) -> int:
    end = len(data.rstrip())
    if data[end - 1 : end] == b";":
        end = len(data[: end - 1].rstrip())
    return end


def _loads_located(data: bytes, start: int, name: str) -> Any:
    try:
        return orjson.loads(memoryview(data)[start : _value_end(data)])
    except orjson.JSONDecodeError as error:
        line = data.count(b"\n", 0, start) + error.lineno
        raise ArchiveError(
            "malformed_json", file=name, line=line, detail=error.msg.split(":")[0]
        ) from None


def _iter_cut(
    source: ArchiveSource, name: str, block_bytes: int, shard: Shard | None = None
) -> Iterator[Any]:
    max_piece = source.limits.max_record_bytes + block_bytes
    takes = shard.takes if shard else _every_piece
    piece_number = 0
    with source.open(name) as stream:
        first = stream.read(max(block_bytes, _HEADER_WINDOW))
        start = _value_start(first, name, _DATA_HEADER)
        first = first[start:].lstrip()
        if not first.startswith(b"["):
            raise _CutFailed
        pending = [first]  # the piece being gathered, as blocks: joined once, when cut
        pending_size = len(first)
        while True:
            block = stream.read(block_bytes)
            if not block:
                if takes(piece_number):
                    whole = b"".join(pending)
                    yield from _parse_piece(whole[: _value_end(whole)])
                return
            # A boundary straddling two blocks is simply not used: cutting later is harmless.
            cut = block.rfind(_ELEMENT_BOUNDARY)
            if cut < 0:
                pending.append(block)
                pending_size += len(block)
                if pending_size > max_piece:
                    raise _CutFailed  # not X's layout, or a hostile file: the scanner decides
                continue
            closing = cut + 3  # index of the `}` closing the last complete element
            pending.append(block[: closing + 1])
            pending.append(b"]")
            piece, pending = pending, [b"[", block[closing + 2 :]]
            pending_size = 1 + len(pending[1])
            if takes(piece_number):  # another shard's piece is not even joined
                yield from _parse_piece(b"".join(piece))
            piece_number += 1


def _every_piece(_piece_number: int) -> bool:
    return True


def _parse_piece(piece: bytes) -> list[Any]:
    try:
        elements = orjson.loads(piece)
    except orjson.JSONDecodeError:
        raise _CutFailed from None
    if not isinstance(elements, list):
        raise _CutFailed
    return elements


class _Scanner:
    """Finds the top-level elements of a JSON array in a stream by following strings and
    brackets; holds only the element being read (and one block)."""

    def __init__(self, stream: MemberStream, name: str, block_bytes: int, limit: int) -> None:
        self._stream = stream
        self._name = name
        self._block_bytes = block_bytes
        self._limit = limit
        self._buffer = bytearray()
        self._line = 1  # line number of the buffer's first byte
        self._newlines = 0  # newlines in the buffer
        self._last_line = 1  # line of the last non-space byte seen: where a cut-short file ends

    def elements(self, first: bytes, start: int) -> Iterator[Any]:
        self._buffer = bytearray(first)
        self._newlines = first.count(b"\n")
        self._skip_header(start)
        depth, in_string, element_start, position = 0, False, 0, 0
        while True:
            pattern = _INSIDE_STRING if in_string else _OUTSIDE_STRING
            found = pattern.search(self._buffer, position)
            if found is None or (in_string and found.end() == len(self._buffer)):
                # Need more: keep from the element's start (an escape may await its next byte).
                position = found.start() if found is not None else len(self._buffer)
                shift = self._more(element_start)
                element_start, position = element_start - shift, position - shift
                continue
            char = found.group()
            position = found.end()
            if in_string:
                if char == b"\\":
                    position += 1
                else:
                    in_string = False
            elif char == b'"':
                in_string = True
            elif char in b"[{":
                depth += 1
            elif depth > 0 and char in b"]}":
                depth -= 1
            elif depth == 0 and char in b",]":
                text = self._buffer[element_start : found.start()]
                if text.strip() or char == b",":
                    yield self._parse(element_start, found.start())
                element_start = position
                if char == b"]":
                    self._check_trailer(position)
                    return
            elif depth == 0:  # a `}` closing nothing
                self._fail(found.start())
            if position - element_start > self._limit:
                self._too_large(element_start)

    def _skip_header(self, start: int) -> None:
        """Past `window.YTD… =` and the opening bracket; anything but a list is refused."""
        while True:
            rest = self._buffer[start:].lstrip()
            if rest:
                break
            if not self._read_block():
                self._fail(len(self._buffer))
        opening = len(self._buffer) - len(rest)
        if rest[:1] == b"{":
            raise ArchiveError(
                "unexpected_content", file=self._name, line=1, detail="expected a list"
            )
        if rest[:1] != b"[":
            self._fail(opening)
        self._drop(opening + 1)

    def _read_block(self) -> bool:
        block = self._stream.read(self._block_bytes)
        if block.strip():
            self._last_line = self._line + self._newlines + block.rstrip().count(b"\n")
        self._buffer += block
        self._newlines += block.count(b"\n")
        return bool(block)

    def _drop(self, size: int) -> None:
        dropped = self._buffer.count(b"\n", 0, size)
        self._line += dropped
        self._newlines -= dropped
        del self._buffer[:size]

    def _more(self, keep_from: int) -> int:
        """Drop the buffer before `keep_from`, read a block; the number of bytes dropped."""
        self._drop(keep_from)
        if len(self._buffer) > self._limit:
            self._too_large(0)
        if not self._read_block():
            self._fail(len(self._buffer))  # the file ends inside the array
        return keep_from

    def _parse(self, start: int, end: int) -> Any:
        try:
            return orjson.loads(memoryview(self._buffer)[start:end])
        except orjson.JSONDecodeError as error:
            line = self._line + self._buffer.count(b"\n", 0, start) + error.lineno - 1
            raise ArchiveError(
                "malformed_json", file=self._name, line=line, detail=error.msg.split(":")[0]
            ) from None

    def _fail(self, at: int) -> None:
        """The structure is broken: name the line of the defect when orjson can, else the line
        where the file stops."""
        text = self._buffer[: max(at, 1)]
        try:
            orjson.loads(b"[" + text)
        except orjson.JSONDecodeError as error:
            if error.pos - 1 < len(text.rstrip()) - 1:
                line = self._line + error.lineno - 1
                detail = error.msg.split(":")[0]
                raise ArchiveError(
                    "malformed_json", file=self._name, line=line, detail=detail
                ) from None
        raise ArchiveError(
            "malformed_json", file=self._name, line=self._last_line, detail="cut short"
        )

    def _too_large(self, start: int) -> None:
        """The element from `start` passed the limit: a defect orjson can point at inside it
        (an unbalanced bracket swallowing what follows) is named as such, else its size."""
        element = memoryview(self._buffer)[start:]
        try:
            orjson.loads(element)
        except orjson.JSONDecodeError as error:
            if error.pos < len(bytes(element).rstrip()) - 1:
                self._parse(start, len(self._buffer))
        first = start + len(element) - len(bytes(element).lstrip())
        raise ArchiveError(
            "record_too_large",
            file=self._name,
            line=self._line + self._buffer.count(b"\n", 0, first),
            detail=mebibytes(self._limit),
        )

    def _check_trailer(self, position: int) -> None:
        """Only spaces and a semicolon may follow the array (read to the end, block by block)."""
        while True:
            if not _TRAILER.fullmatch(self._buffer, position):
                self._fail(position)
            self._drop(len(self._buffer))
            position = 0
            if not self._read_block():
                return


def _iter_scanned(source: ArchiveSource, name: str, block_bytes: int) -> Iterator[Any]:
    with source.open(name) as stream:
        first = stream.read(max(block_bytes, _HEADER_WINDOW))
        start = _value_start(first, name, _DATA_HEADER)
        scanner = _Scanner(stream, name, block_bytes, source.limits.max_record_bytes)
        yield from scanner.elements(first, start)
