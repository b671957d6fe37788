"""Stream the elements of an X data file, `window.YTD.<type>.part<N> = [ … ]`, with bounded memory.

A tweets file can weigh hundreds of megabytes in a single part, so it is never held whole: it is
read in blocks and cut between top-level elements, where X's own layout (two-space indentation)
puts `\\n  },\\n  {`. A raw newline cannot occur inside a JSON string, so that pattern is always
structure; each cut piece is parsed with orjson and its elements are handed out before the next
block is read. If the layout is not X's (a re-indented or minified file), a cut can fall inside an
element: its piece then fails to parse, and the part is parsed whole instead — which is also how a
real defect is located, to the exact line, from orjson's error position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any, Final

import orjson

from envol.archives.errors import ArchiveError
from envol.archives.source import ArchiveSource

# Small pieces keep the parsed objects few and young: measured fastest at ~64 KiB.
READ_BLOCK_BYTES: Final = 64 * 1024
_ELEMENT_BOUNDARY: Final = b"\n  },\n  {"
_BOM: Final = b"\xef\xbb\xbf"
_HEADER_WINDOW: Final = 4096
_DATA_HEADER = re.compile(rb"\s*window\.YTD\.[A-Za-z0-9_]+\.part[0-9]+\s*$")
_MANIFEST_HEADER = re.compile(rb"\s*window\.__THAR_CONFIG\s*$")


class _CutFailed(Exception):
    """A piece between two guessed boundaries did not parse; fall back to a whole parse."""


def iter_elements(
    source: ArchiveSource, name: str, block_bytes: int = READ_BLOCK_BYTES
) -> Iterator[Any]:
    """Yield the elements of the array in data file `name`, one block in memory at a time."""
    handed_out = 0
    try:
        for element in _iter_cut(source, name, block_bytes):
            handed_out += 1
            yield element
    except _CutFailed:
        yield from islice(_parse_whole(source, name, _DATA_HEADER), handed_out, None)


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


def _parse_whole(source: ArchiveSource, name: str, header: re.Pattern[bytes]) -> Iterator[Any]:
    elements = read_assignment(source, name, header)
    if not isinstance(elements, list):
        raise ArchiveError("unexpected_content", file=name, line=1, detail="expected a list")
    yield from elements


def _iter_cut(source: ArchiveSource, name: str, block_bytes: int) -> Iterator[Any]:
    with source.open(name) as stream:
        first = stream.read(max(block_bytes, _HEADER_WINDOW))
        start = _value_start(first, name, _DATA_HEADER)
        first = first[start:].lstrip()
        if not first.startswith(b"["):
            raise _CutFailed
        pending = [first]  # the piece being gathered, as blocks: joined once, when cut
        while True:
            block = stream.read(block_bytes)
            if not block:
                whole = b"".join(pending)
                yield from _parse_piece(whole[: _value_end(whole)])
                return
            # A boundary straddling two blocks is simply not used: cutting later is harmless.
            cut = block.rfind(_ELEMENT_BOUNDARY)
            if cut < 0:
                pending.append(block)
                continue
            closing = cut + 3  # index of the `}` closing the last complete element
            pending.append(block[: closing + 1])
            pending.append(b"]")
            piece = b"".join(pending)
            pending = [b"[", block[closing + 2 :]]
            yield from _parse_piece(piece)


def _parse_piece(piece: bytes) -> list[Any]:
    try:
        elements = orjson.loads(piece)
    except orjson.JSONDecodeError:
        raise _CutFailed from None
    if not isinstance(elements, list):
        raise _CutFailed
    return elements
