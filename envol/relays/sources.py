"""Reading a relay's source: the right reader for its kind, one reusable client per thread on
the guarded transport, and the images of an item downloaded (capped) for publishing.

The readers themselves are pure (`envol.feeds`); this module gives them the Django side's
transport (`envol.outbound`: `ENVOL_ALLOW_PRIVATE_NETWORKS` read in one place) and settings.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

from envol import outbound
from envol.feeds import bluesky, mastodon, rss
from envol.feeds.fetch import FetchLimits, SourceClient
from envol.feeds.items import Polled, SourceError, SourceImage

IMAGE_MAX_BYTES = 1_000_000  # Bluesky's lowest blob limit: an image every target accepts
IMAGE_TYPES = {b"\x89PNG": ("image/png", ".png"), b"\xff\xd8\xff": ("image/jpeg", ".jpg")}
IMAGE_TYPES_RIFF = ("image/webp", ".webp")
IMAGE_TYPES_GIF = ("image/gif", ".gif")

_local = threading.local()


def limits() -> FetchLimits:
    return FetchLimits(
        timeout_s=float(settings.ENVOL_RELAY_TIMEOUT_S),
        max_bytes=int(settings.ENVOL_RELAY_MAX_BYTES),
    )


def client(transport: httpx.BaseTransport | None = None) -> SourceClient:
    """This thread's client (its connections kept alive across polls), or a fresh one on the
    given transport (tests pass a guarded transport of their own)."""
    if transport is not None:
        return SourceClient(transport, limits())
    key = (outbound.allow_private(), limits())
    cached = getattr(_local, "clients", {})
    if key not in cached:
        cached = _local.clients = {key: SourceClient(outbound.transport(), key[1])}
    found: SourceClient = cached[key]
    return found


def resolve(kind: str, address: str, reader: SourceClient) -> tuple[dict[str, Any], str]:
    """(the state a first poll starts from, a name for the relay) of a source address; raises
    SourceError when it cannot be read."""
    address = address.strip()
    if kind == "rss":
        fetched = reader.get(address, accept=rss.FEED_TYPES)
        items = rss.parse_feed(fetched.body, fetched.content_type)
        title = items[0].author if items else ""
        return {"url": fetched.url}, title or address
    if kind == "bluesky":
        found = bluesky.resolve_account(
            reader,
            address,
            service=settings.ENVOL_BLUESKY_SERVICE,
            plc=settings.ENVOL_PLC_URL,
        )
        return found, f"@{found['handle']}"
    if kind == "mastodon":
        account = mastodon.resolve_account(reader, address)
        return account, f"@{account['acct']}"
    raise SourceError("not_found", f"Unknown source kind {kind!r}.")


def poll(kind: str, state: dict[str, Any], reader: SourceClient, *, reposts: bool) -> Polled:
    if kind == "rss":
        return rss.poll_feed(reader, str(state["url"]), state)
    if kind == "bluesky":
        try:
            return bluesky.poll_account(reader, state, reposts=reposts)
        except SourceError as exc:
            if exc.code != "http_status":
                raise
            # The PDS no longer holds the repository: the account may have moved to another
            # PDS. Ask the DID document where it lives now, once, then poll there.
            moved = bluesky.pds_of(reader, str(state["did"]), plc=settings.ENVOL_PLC_URL)
            if moved == state.get("pds"):
                raise
            return bluesky.poll_account(reader, {**state, "pds": moved}, reposts=reposts)
    if kind == "mastodon":
        return mastodon.poll_account(reader, state)
    raise SourceError("not_found", f"Unknown source kind {kind!r}.")


def download_image(reader: SourceClient, image: SourceImage, folder: Path) -> Path:
    """The image, fetched through the guard (capped), stored once under its content's hash;
    only PNG, JPEG, GIF and WebP are kept. Raises SourceError."""
    fetched = reader.get(image.url, accept="image/*", max_bytes=IMAGE_MAX_BYTES)
    _mime, extension = image_type(fetched.body)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(fetched.body).hexdigest()[:32] + extension)
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.write_bytes(fetched.body)
        partial.replace(path)
    return path


def image_type(data: bytes) -> tuple[str, str]:
    """(MIME type, extension) from the first bytes, never from what the server claimed."""
    for magic, found in IMAGE_TYPES.items():
        if data.startswith(magic):
            return found
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return IMAGE_TYPES_RIFF
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return IMAGE_TYPES_GIF
    raise SourceError("unreadable", "Not an image envol relays (PNG, JPEG, GIF or WebP).")


def media_folder(relay_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "relays" / str(relay_id)
