"""The CID of an AT Protocol record, computed here exactly as the PDS computes it.

Why: a reply names its parent by URI *and* CID, and the history migration writes a whole thread
in one `applyWrites` with record keys chosen beforehand — so the parent's CID must be known
before the parent exists. A record's CID is a pure function of its content: the record as
DAG-CBOR (the PDS converts JSON's `{"$link": …}` to a CID link and `{"$bytes": …}` to bytes, then
encodes canonically), hashed with SHA-256, as a CIDv1 with the DAG-CBOR codec in base32. libipld
(the atproto SDK's IPLD library) does the encoding; it writes bytes that form a valid CID as a
link (CBOR tag 42), which is exactly how a link arrives from JSON here, and a post record holds no
other bytes. The PDS's answer to `applyWrites` carries each record's CID: callers can compare.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

import libipld

CIDV1 = 0x01
DAG_CBOR = 0x71
SHA2_256 = 0x12


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def cid_bytes(text: str) -> bytes:
    """A CID written as text (`bafy…`) → its binary form, as a DAG-CBOR link holds it."""
    decoded = libipld.decode_cid(text)
    digest: bytes = decoded["hash"]["digest"]
    return (
        _varint(decoded["version"])
        + _varint(decoded["codec"])
        + _varint(decoded["hash"]["code"])
        + _varint(decoded["hash"]["size"])
        + digest
    )


def to_ipld(value: Any) -> Any:
    """JSON data as the PDS reads it (the lexicon's JSON encoding) → IPLD data."""
    if isinstance(value, Mapping):
        if len(value) == 1 and "$link" in value:
            return cid_bytes(str(value["$link"]))
        if len(value) == 1 and "$bytes" in value:
            raw = str(value["$bytes"])
            return base64.b64decode(raw + "=" * (-len(raw) % 4))
        return {str(key): to_ipld(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_ipld(item) for item in value]
    if isinstance(value, float):
        raise ValueError("AT Protocol records hold no floating-point numbers.")
    return value


def record_cid(record: Mapping[str, Any]) -> str:
    """The CID (text) the PDS will give `record` (its JSON form, as sent to `applyWrites`)."""
    block = libipld.encode_dag_cbor(to_ipld(record))
    digest = hashlib.sha256(block).digest()
    raw = _varint(CIDV1) + _varint(DAG_CBOR) + _varint(SHA2_256) + _varint(len(digest)) + digest
    return libipld.encode_cid(raw)


RAW = 0x55
IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
)


def blob_cid(data: bytes) -> str:
    """The CID a PDS gives an uploaded file: CIDv1, raw codec, SHA-256 of the bytes."""
    digest = hashlib.sha256(data).digest()
    raw = _varint(CIDV1) + _varint(RAW) + _varint(SHA2_256) + _varint(len(digest)) + digest
    return libipld.encode_cid(raw)


def image_mime(data: bytes) -> str:
    """The type of an image from its first bytes, as the PDS sniffs it ('' when not known)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in IMAGE_SIGNATURES if data.startswith(magic)), "")


MP4_BRANDS = (b"isom", b"iso2", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash")


def video_mime(data: bytes) -> str:
    """`video/mp4` for an MP4 file (an `ftyp` box of a video brand: what the PDS sniffs), the
    only type `app.bsky.embed.video` accepts; '' otherwise."""
    return "video/mp4" if data[4:8] == b"ftyp" and data[8:12] in MP4_BRANDS else ""


def blob_ref(data: bytes, mime: str) -> dict[str, Any]:
    """The blob reference (JSON form) a record holds for `data` once uploaded: known before
    the upload, so a record with images has its CID before anything is sent."""
    return {"$type": "blob", "ref": {"$link": blob_cid(data)}, "mimeType": mime, "size": len(data)}
