"""Writing a post on the desk: saving what the composer holds, its images, its link card, and
the planned time in the organisation's time zone.

An edit goes through `save_post`, which tells the workflow only when something changed (a
"Preview" pressed on an approved post must not send it back to review).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image as PillowImage
from PIL import UnidentifiedImageError

from envol.orgs.models import ConnectedAccount, Organisation, Role
from envol.publishing import workflow
from envol.publishing.cards import fetch_card
from envol.publishing.models import EDITABLE, Post, PostMedia
from envol.publishing.workflow import DeskError

IMAGE_MAX_BYTES = 20 * 1024 * 1024  # above every network's limit: the preview says which refuse
PILLOW_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}


# --------------------------------------------------------------------------- time zones


def zone_of(org: Organisation) -> ZoneInfo:
    try:
        return ZoneInfo(org.time_zone or "Europe/Paris")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")


def local_to_utc(org: Organisation, day: date, at: time) -> datetime:
    """The organisation's wall-clock time as a UTC instant. A time the clocks skip (the
    spring-forward hour) is refused; a time they pass twice (the autumn hour) is its first
    occurrence, still on summer time."""
    zone = zone_of(org)
    local = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise DeskError(
            _(
                "%(time)s does not exist on %(day)s in %(zone)s (the clocks go forward): choose "
                "another time."
            )
            % {"time": at.strftime("%H:%M"), "day": day.isoformat(), "zone": zone.key}
        )
    return instant


def utc_to_local(org: Organisation, instant: datetime) -> datetime:
    return instant.astimezone(zone_of(org))


# --------------------------------------------------------------------------- saving a post


@dataclass
class NewImage:
    name: str
    data: bytes
    alt: str


@dataclass
class PostInput:
    """What the composer's form holds, cleaned."""

    text: str
    targets: Sequence[ConnectedAccount]
    content_warning: str = ""
    lang: str = "fr"
    link_url: str = ""
    overrides: dict[str, str] = field(default_factory=dict)
    numbering: bool = True
    use_short_links: bool = False
    planned_at: datetime | None = None
    new_images: Sequence[NewImage] = ()
    alts: dict[int, str] = field(default_factory=dict)  # media id → its alternative text
    removed: set[int] = field(default_factory=set)  # media ids


def read_image(name: str, data: bytes) -> tuple[str, int, int]:
    """(mime, width, height) of an image the composer accepts; DeskError otherwise."""
    if len(data) > IMAGE_MAX_BYTES:
        raise DeskError(_("Image %(name)s is larger than 20 MB.") % {"name": name})
    try:
        with PillowImage.open(io.BytesIO(data)) as image:
            image.verify()
            found = image.format or ""
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DeskError(_("%(name)s is not an image envol can read.") % {"name": name}) from None
    if found not in PILLOW_FORMATS:
        raise DeskError(_("%(name)s: use a JPEG, PNG, WebP or GIF image.") % {"name": name})
    return PILLOW_FORMATS[found], width, height


def _store_image(org: Organisation, image: NewImage) -> tuple[Path, str, int, int]:
    mime, width, height = read_image(image.name, image.data)
    folder = Path(settings.MEDIA_ROOT) / "desk" / str(org.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.{mime.split('/')[1]}"
    path.write_bytes(image.data)
    return path, mime, width, height


def _card_for(url: str, post: Post | None) -> dict[str, Any]:
    if not url:
        return {}
    if post is not None and post.link_url == url and post.link_card.get("url") == url:
        return dict(post.link_card)
    return fetch_card(url)


def save_post(
    org: Organisation,
    actor: Any,
    data: PostInput,
    post: Post | None = None,
    *,
    now: datetime | None = None,
) -> Post:
    """Create or change a post from the composer. The link's card is fetched before the
    transaction (a slow page must not hold the database); images are checked and stored."""
    found = workflow.membership_of(actor, org)
    if found is None or not found.can(Role.EDITOR):
        raise DeskError(_("You do not have the role this needs in this organisation."))
    if post is not None and post.state not in EDITABLE:
        raise DeskError(_("This post can no longer be changed."))
    for account in data.targets:
        if account.organisation_id != org.pk:
            raise DeskError(
                _("Account %(account)s does not belong to this organisation.")
                % {"account": account}
            )
    stored = [(_store_image(org, image), image.alt) for image in data.new_images]
    card = _card_for(data.link_url, post)
    with transaction.atomic():
        return _save(org, actor, data, post, stored, card, now or timezone.now())


def _save(
    org: Organisation,
    actor: Any,
    data: PostInput,
    post: Post | None,
    stored: list[tuple[tuple[Path, str, int, int], str]],
    card: dict[str, Any],
    now: datetime,
) -> Post:
    values = {
        "text": data.text.replace("\r\n", "\n").strip(),
        "content_warning": data.content_warning.strip(),
        "lang": data.lang or "fr",
        "link_url": data.link_url.strip(),
        "link_card": card,
        "overrides": {
            k: v.replace("\r\n", "\n").strip() for k, v in data.overrides.items() if v.strip()
        },
        "numbering": data.numbering,
        "use_short_links": data.use_short_links,
    }
    creating = post is None
    if post is None:
        post = Post.objects.create(
            organisation=org,
            author=actor,
            last_edited_by=actor,
            planned_at=data.planned_at,
            **values,
        )
        changed = True
    else:
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.state not in EDITABLE:
            raise DeskError(_("This post can no longer be changed."))
        changed = any(getattr(post, k) != v for k, v in values.items() if k != "link_card")
        for name, value in values.items():
            setattr(post, name, value)
        post.save(update_fields=list(values))
    if set(post.targets.values_list("pk", flat=True)) != {a.pk for a in data.targets}:
        post.targets.set(data.targets)
        changed = True
    changed |= _save_images(post, data, stored)
    if not creating and changed:
        workflow.edited(post, actor, now=now)
    if not creating and post.planned_at != data.planned_at:
        workflow.reschedule(post, actor, data.planned_at, now=now)
    return post


def _save_images(
    post: Post, data: PostInput, stored: list[tuple[tuple[Path, str, int, int], str]]
) -> bool:
    changed = False
    for media in post.media.all():
        if media.pk in data.removed:
            media.delete()
            changed = True
        elif media.pk in data.alts and data.alts[media.pk].strip() != media.alt_text:
            media.alt_text = data.alts[media.pk].strip()
            media.save(update_fields=["alt_text"])
            changed = True
    position = max(post.media.values_list("position", flat=True), default=-1) + 1
    for (path, mime, width, height), alt in stored:
        PostMedia.objects.create(
            post=post,
            position=position,
            path=str(path),
            mime_type=mime,
            alt_text=alt.strip(),
            width=width,
            height=height,
        )
        position += 1
        changed = True
    return changed
