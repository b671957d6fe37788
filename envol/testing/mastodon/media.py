"""Media attachments: upload (v1 synchronous, v2 asynchronous for video/audio), view, update.

docs: methods/media. Since 4.0, v2 answers 200 for images (processed synchronously) and 202 for
video, gifv and audio, whose ``url`` stays null while ``GET /api/v1/media/:id`` answers 206.
Processing time is ``Settings.video_processing_seconds`` on the server clock. The description is
limited to 1,500 characters (MediaAttachment::MAX_DESCRIPTION_LENGTH; Rails counts characters).
"""

from __future__ import annotations

from typing import Any

from envol.testing.mastodon.entities import (
    AUDIO_TYPES,
    IMAGE_SIZE_LIMIT,
    IMAGE_TYPES,
    MEDIA_DESCRIPTION_LIMIT,
    VIDEO_SIZE_LIMIT,
    VIDEO_TYPES,
)
from envol.testing.mastodon.http import ApiError, Call, Reply, not_found, validation_failed
from envol.testing.mastodon.params import UploadedFile
from envol.testing.mastodon.records import Media

INVALID_FILE = "File content type is invalid, File is invalid"


def upload_v2(call: Call) -> Reply:
    """docs: methods/media#v2."""
    media = _upload(call)
    processed = media.processed_at <= call.backend.clock.now()
    return Reply(call.backend.presenter.media(media), 200 if processed else 202)


def upload_v1(call: Call) -> Reply:
    """docs: methods/media#v1 (deprecated): waits for processing, so always 200 with a url."""
    media = _upload(call)
    media.processed_at = media.created_at
    return Reply(call.backend.presenter.media(media))


def show(call: Call) -> Reply:
    """docs: methods/media#get — 206 while processing, 200 once ``url`` is set."""
    media = _own_unattached(call)
    processed = media.processed_at <= call.backend.clock.now()
    return Reply(call.backend.presenter.media(media), 200 if processed else 206)


def update(call: Call) -> Reply:
    """docs: methods/media#update — description and focus of a not-yet-attached media."""
    media = _own_unattached(call)
    if call.param("description") is not None:
        media.description = _description(call.param("description"))
    if call.param("focus") is not None:
        media.focus = _focus(call.param("focus"))
    return Reply(call.backend.presenter.media(media))


def delete(call: Call) -> Reply:
    """docs: methods/media#delete (4.4) — only a media not attached to a status."""
    media = _own_unattached(call)
    del call.backend.store.media[media.id]
    return Reply({})


def _upload(call: Call) -> Media:
    upload = call.param("file")
    if not isinstance(upload, UploadedFile):
        raise ApiError(422, "Validation failed: " + INVALID_FILE)
    kind = _kind(upload.content_type)
    if kind is None:
        raise validation_failed(INVALID_FILE)
    limit = IMAGE_SIZE_LIMIT if kind == "image" else VIDEO_SIZE_LIMIT
    if len(upload.data) > limit:
        raise validation_failed(f"File size must be less than {limit // (1024 * 1024)} MB")
    description = _description(call.param("description"))
    focus = _focus(call.param("focus")) if call.param("focus") else None
    backend = call.backend
    now = backend.clock.now()
    delay = 0.0 if kind == "image" else backend.settings.video_processing_seconds
    media = Media(
        id=backend.store.next_id(),
        account_id=call.user.id,
        type=kind,
        content_type=upload.content_type,
        size=len(upload.data),
        description=description,
        focus=focus,
        created_at=now,
        processed_at=now + delay,
    )
    backend.store.media[media.id] = media
    backend.store.counters["media_uploaded"] += 1
    return media


def _kind(content_type: str) -> str | None:
    if content_type in IMAGE_TYPES:
        return "gifv" if content_type == "image/gif" else "image"
    if content_type in VIDEO_TYPES:
        return "video"
    if content_type in AUDIO_TYPES:
        return "audio"
    return None


def _description(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    if len(text) > MEDIA_DESCRIPTION_LIMIT:
        raise validation_failed(
            f"Description is too long (maximum is {MEDIA_DESCRIPTION_LIMIT} characters)"
        )
    return text or None


def _focus(value: Any) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in str(value).split(","))
    except ValueError as error:
        raise validation_failed("Focus is invalid") from error
    return (max(-1.0, min(1.0, x)), max(-1.0, min(1.0, y)))


def _own_unattached(call: Call) -> Media:
    media = call.backend.store.media.get(call.path("id"))
    if media is None or media.account_id != call.user.id or media.status_id is not None:
        raise not_found()
    return media
