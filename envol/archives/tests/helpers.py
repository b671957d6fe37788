"""Small tools the archive tests share: in-memory zips and a full read of an archive."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from envol.archives.x import XArchive
from envol.archives.x_records import RelationKind


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def read_everything(archive: XArchive) -> dict[str, Any]:
    """Everything the reader can yield, as the import service would consume it."""
    return {
        "account": archive.account,
        "profile": archive.profile,
        "tweets": list(archive.tweets()),
        "relations": {
            kind: [r.account_id for r in archive.relations(kind)] for kind in RelationKind
        },
        "lists": list(archive.lists()),
        "counts": archive.counts(),
        "warnings": [w.code for w in archive.warnings],
    }
