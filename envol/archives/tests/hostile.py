"""Hostile zips as probes built them, written byte by byte (zipfile cannot write lies).

- `endless_record_zip`: a 7 MB archive whose `data/tweets.js` unpacks to 1.1 GB in which no
  record ever ends (ratio about 156, under the declared-ratio check).
- `lying_sizes_zip`: a 1 MB archive whose central directory declares its manifest at 1 MB while
  the compressed data unpacks to 1 GiB (Python 3.11's `ZipExtFile.read()` decompresses up to
  1 GiB in one call before truncating to the declared size).

Both start from a real (small) X archive, so the reader gets as far as it would on a real one.
The deflate streams are made cheaply: one chunk compressed once with a full flush (blocks that
refer to nothing before them), repeated, then an empty final block.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

from envol.archives.tests.helpers import unzip
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

MiB = 1024 * 1024
_FINAL_EMPTY_BLOCK = b"\x03\x00"


def _repeated_deflate(chunk: bytes, times: int, crc: int = 0) -> tuple[bytes, int]:
    """Raw deflate data of `chunk` × `times`, and the CRC-32 continued from `crc`."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return block * times + _FINAL_EMPTY_BLOCK, crc


def _write_zip(path: Path, entries: list[tuple[str, int, int, int, int, bytes]]) -> Path:
    """entries: (name, method, crc, declared compressed size, declared size, data as stored)."""
    local, central = bytearray(), bytearray()
    for name, method, crc, compressed, size, data in entries:
        raw = name.encode()
        offset = len(local)
        head = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 33, crc, compressed, size, len(raw), 0
        )
        local += head + raw + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            method,
            0,
            33,
            crc,
            compressed,
            size,
            len(raw),
            0,
            0,
            0,
            0,
            0o100644 << 16,
            offset,
        )
        central += raw
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
    return path


def _stored(members: dict[str, bytes]) -> list[tuple[str, int, int, int, int, bytes]]:
    return [(n, 0, zlib.crc32(d), len(d), len(d), d) for n, d in members.items()]


def _real_members() -> dict[str, bytes]:
    return unzip(XArchiveFactory(ArchiveSpec(seed=31, tweets=5)).zip_bytes())


def endless_record_zip(path: Path, gigabytes: float = 1.1) -> Path:
    members = _real_members()
    words = ["envol", "ville", "bluesky", "mastodon", "quitter", "x", "public", "audience"]
    rng = random.Random(7)
    period = " ".join(rng.choice(words) for _ in range(700)).encode()[:4096]
    chunk = (period * 257)[:MiB]
    head = b'window.YTD.tweets.part0 = [\n  {\n    "tweet" : {\n      "full_text" : "'
    times = int(gigabytes * 1024)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    body, crc = _repeated_deflate(chunk, times, zlib.crc32(head))
    data = start + body
    tweets = ("data/tweets.js", 8, crc, len(data), len(head) + times * MiB, data)
    others = {name: content for name, content in members.items() if name != "data/tweets.js"}
    return _write_zip(path, [*_stored(others), tweets])


def lying_sizes_zip(path: Path) -> Path:
    members = _real_members()
    head = b"window.__THAR_CONFIG = "
    declared = MiB
    content_start = head + b" " * (declared - len(head))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    body, _crc = _repeated_deflate(b" " * MiB, 1024)  # 1 GiB of spaces in about 1 MB
    data = start + body
    manifest = ("data/manifest.js", 8, zlib.crc32(content_start), len(data), declared, data)
    others = {name: content for name, content in members.items() if name != "data/manifest.js"}
    return _write_zip(path, [manifest, *_stored(others)])


def overlapping_zip(path: Path) -> Path:
    """Two entries whose declared data overlap: the second starts inside the first's data."""
    members = _real_members()
    entries = _stored(members)
    name, method, crc, _compressed, size, data = entries[0]
    entries[0] = (name, method, crc, len(data) + 40, size, data)  # reaches into the next header
    return _write_zip(path, entries)
