"""Records rendered as Mastodon's JSON entities (docs: entities/*)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from envol.testing.mastodon.records import Account, App, Follow, Media, ScheduledStatus, Status
from envol.testing.mastodon.store import Store

VERSION = "4.4.0"
API_VERSION = 5  # docs: entities/Instance#api-versions (4.4.0 → 5)
MAX_MEDIA_ATTACHMENTS = 4
MEDIA_DESCRIPTION_LIMIT = 1500
IMAGE_SIZE_LIMIT = 16 * 1024 * 1024
VIDEO_SIZE_LIMIT = 99 * 1024 * 1024
IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp"]
VIDEO_TYPES = ["video/webm", "video/mp4", "video/quicktime", "video/ogg"]
AUDIO_TYPES = ["audio/wave", "audio/wav", "audio/x-wav", "audio/ogg", "audio/mpeg", "audio/mp3"]
AUDIO_TYPES += ["audio/webm", "audio/flac", "audio/aac", "audio/m4a", "audio/mp4", "audio/3gpp"]


def timestamp(epoch: float) -> str:
    """docs: api/datetime-format — ISO 8601 with milliseconds, UTC: 2019-12-05T11:34:47.196Z."""
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _midnight(epoch: float) -> str:
    day = dt.datetime.fromtimestamp(epoch, tz=dt.UTC).date()
    return f"{day.isoformat()}T00:00:00.000Z"


def _paragraphs(text: str) -> str:
    """Plain text as Mastodon's HTML: escaped, paragraphs on blank lines, <br> inside."""
    if not text:
        return ""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b]
    return "".join("<p>" + html.escape(b).replace("\n", "<br />") + "</p>" for b in blocks)


class Presenter:
    def __init__(self, store: Store, domain: str, max_characters: int) -> None:
        self.store = store
        self.domain = domain
        self.max_characters = max_characters

    @property
    def origin(self) -> str:
        return f"https://{self.domain}"

    # accounts

    def acct(self, account: Account) -> str:
        return (
            account.username if account.domain is None else f"{account.username}@{account.domain}"
        )

    def account(self, account: Account) -> dict[str, Any]:
        """docs: entities/Account; source: app/serializers/rest/account_serializer.rb
        (``last_status_at`` as a date only, ``created_at`` at midnight)."""
        host = account.domain or self.domain
        last_status = account.last_status_at
        avatar = f"{self.origin}/avatars/original/missing.png"
        header = f"{self.origin}/headers/original/missing.png"
        return {
            "id": account.id,
            "username": account.username,
            "acct": self.acct(account),
            "display_name": account.display_name,
            "locked": account.locked,
            "bot": account.bot,
            "discoverable": account.discoverable,
            "indexable": False,
            "group": False,
            "created_at": _midnight(account.created_at),
            "note": _paragraphs(account.note),
            "url": f"https://{host}/@{account.username}",
            "uri": f"https://{host}/users/{account.username}",
            "avatar": avatar,
            "avatar_static": avatar,
            "header": header,
            "header_static": header,
            "followers_count": len(self.store.followers_of(account.id)),
            "following_count": len(self.store.follows_of(account.id)),
            "statuses_count": self.store.statuses_count(account.id),
            "last_status_at": dt.datetime.fromtimestamp(last_status, tz=dt.UTC).date().isoformat()
            if last_status is not None
            else None,
            "hide_collections": account.hide_collections,
            "noindex": False,
            "emojis": [],
            "roles": [],
            "fields": [
                {"name": f.name, "value": html.escape(f.value), "verified_at": f.verified_at}
                for f in account.fields
            ],
        }

    def credential_account(self, account: Account) -> dict[str, Any]:
        """docs: entities/Account#CredentialAccount — the account plus its editable source."""
        rendered = self.account(account)
        pending = [
            f for f in self.store.follows.values() if f.target_id == account.id and f.pending
        ]
        rendered["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": None,
            "note": account.note,
            "fields": [
                {"name": f.name, "value": f.value, "verified_at": f.verified_at}
                for f in account.fields
            ],
            "follow_requests_count": len(pending),
            "hide_collections": account.hide_collections,
            "discoverable": account.discoverable,
            "indexable": False,
            "attribution_domains": [],
        }
        rendered["role"] = {
            "id": "-99",
            "name": "",
            "permissions": "0",
            "color": "",
            "highlighted": False,
        }
        return rendered

    def relationship(self, viewer_id: str, target: Account) -> dict[str, Any]:
        """docs: entities/Relationship."""
        mine = self.store.follow_between(viewer_id, target.id)
        theirs = self.store.follow_between(target.id, viewer_id)
        following = mine is not None and not mine.pending
        return {
            "id": target.id,
            "following": following,
            "showing_reblogs": following and mine is not None and mine.reblogs,
            "notifying": following and mine is not None and mine.notify,
            "languages": mine.languages if following and mine is not None else None,
            "followed_by": theirs is not None and not theirs.pending,
            "blocking": (viewer_id, target.id) in self.store.blocks,
            "blocked_by": (target.id, viewer_id) in self.store.blocks,
            "muting": False,
            "muting_notifications": False,
            "requested": mine is not None and mine.pending,
            "requested_by": theirs is not None and theirs.pending,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }

    def follow_relationship(
        self, viewer_id: str, target: Account, follow: Follow
    ) -> dict[str, Any]:
        """The answer to a follow: optimistic ``following`` unless the target is locked.

        source: Api::V1::AccountsController#follow passes a following_map for unlocked targets.
        """
        rendered = self.relationship(viewer_id, target)
        if not target.locked:
            rendered.update(
                following=True,
                requested=False,
                showing_reblogs=follow.reblogs,
                notifying=follow.notify,
                languages=follow.languages,
            )
        return rendered

    # media and statuses

    def media(self, media: Media) -> dict[str, Any]:
        """docs: entities/MediaAttachment — ``url`` stays null while processing."""
        processed = self.store.clock.now() >= media.processed_at
        extension = media.content_type.rsplit("/", 1)[-1]
        path = f"{self.origin}/system/media_attachments/files/{media.id}"
        meta: dict[str, Any] = {}
        if media.focus is not None:
            meta["focus"] = {"x": media.focus[0], "y": media.focus[1]}
        return {
            "id": media.id,
            "type": media.type,
            "url": f"{path}/original/{media.id}.{extension}" if processed else None,
            "preview_url": f"{path}/small/{media.id}.png",
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": meta,
            "description": media.description,
            "blurhash": None,
        }

    def status(
        self, status: Status, *, viewer: Account | None = None, with_source: bool = False
    ) -> dict[str, Any]:
        """docs: entities/Status; source: app/serializers/rest/status_serializer.rb.

        A boost is an empty status whose ``reblog`` holds the original. ``favourited``,
        ``reblogged``, ``muted``, ``bookmarked`` and ``filtered`` appear only for a signed-in
        ``viewer`` and, like Account#favourited?/reblogged?, look at the original of a boost;
        ``pinned`` only for the author's own pinnable statuses. ``with_source`` adds ``text``
        as DELETE returns it.
        """
        account = self.store.accounts[status.account_id]
        original = self.store.statuses.get(status.reblog_of_id) if status.reblog_of_id else None
        path = f"{self.origin}/users/{account.username}/statuses/{status.id}"
        rendered: dict[str, Any] = {
            "id": status.id,
            # source: ActivityPub::TagManager#uri_for / #url_for (a boost is an Announce activity)
            "uri": f"{path}/activity" if original else path,
            "url": f"{path}/activity"
            if original
            else f"{self.origin}/@{account.username}/{status.id}",
            "created_at": timestamp(status.created_at),
            "account": self.account(account),
            "content": _paragraphs(status.text),
            "visibility": status.visibility,
            "sensitive": status.sensitive,
            "spoiler_text": status.spoiler_text,
            "media_attachments": [
                self.media(self.store.media[m]) for m in status.media_ids if m in self.store.media
            ],
            "application": {"name": status.application, "website": None}
            if status.application
            else None,
            "mentions": [],
            "tags": [],
            "emojis": [],
            "reblogs_count": self.store.reblogs_count(status.id),
            "favourites_count": self.store.favourites_count(status.id),
            "replies_count": self.store.replies_count(status.id),
            "quotes_count": 0,
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": status.in_reply_to_account_id,
            "reblog": self.status(original, viewer=viewer) if original else None,
            "poll": None,
            "card": None,
            "language": status.language,
            "edited_at": None,
        }
        if viewer is not None:
            proper = original or status
            rendered["favourited"] = self.store.favourite_between(viewer.id, proper.id) is not None
            rendered["reblogged"] = self.store.reblog_between(viewer.id, proper.id) is not None
            rendered["muted"] = False
            rendered["bookmarked"] = False
            rendered["filtered"] = []
            pinnable = viewer.id == status.account_id and original is None
            if pinnable and status.visibility in ("public", "unlisted", "private"):
                rendered["pinned"] = False
        if with_source:
            rendered["text"] = status.text
        return rendered

    def scheduled_status(self, scheduled: ScheduledStatus) -> dict[str, Any]:
        """docs: entities/ScheduledStatus."""
        return {
            "id": scheduled.id,
            "scheduled_at": timestamp(scheduled.scheduled_at),
            "params": scheduled.params,
            "media_attachments": [
                self.media(self.store.media[m])
                for m in scheduled.media_ids
                if m in self.store.media
            ],
        }

    # apps and instance

    def credential_app(self, app: App) -> dict[str, Any]:
        """docs: entities/Application#CredentialApplication."""
        return {
            **self.app(app),
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "client_secret_expires_at": 0,
        }

    def app(self, app: App) -> dict[str, Any]:
        return {
            "id": app.id,
            "name": app.name,
            "website": app.website,
            "scopes": app.scopes,
            "redirect_uri": "\n".join(app.redirect_uris),
            "redirect_uris": app.redirect_uris,
        }

    def _configuration(self) -> dict[str, Any]:
        return {
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "description_limit": MEDIA_DESCRIPTION_LIMIT,
                "image_matrix_limit": 33177600,
                "image_size_limit": IMAGE_SIZE_LIMIT,
                "supported_mime_types": IMAGE_TYPES + VIDEO_TYPES + AUDIO_TYPES,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
                "video_size_limit": VIDEO_SIZE_LIMIT,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
        }

    def instance_v2(self) -> dict[str, Any]:
        """docs: methods/instance#v2."""
        configuration = self._configuration()
        configuration["urls"] = {"streaming": f"wss://{self.domain}", "status": None}
        configuration["vapid"] = {"public_key": ""}
        configuration["translation"] = {"enabled": False}
        configuration["limited_federation"] = False
        return {
            "domain": self.domain,
            "title": f"{self.domain} (envol test server)",
            "version": VERSION,
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "An in-process stand-in for a Mastodon server, for tests.",
            "usage": {"users": {"active_month": self._local_users()}},
            "thumbnail": {"url": f"{self.origin}/packs/media/images/preview.png"},
            "icon": [],
            "languages": ["fr", "en"],
            "configuration": configuration,
            "registrations": {
                "enabled": False,
                "approval_required": False,
                "reason_required": False,
                "message": None,
                "min_age": None,
                "url": None,
            },
            "api_versions": {"mastodon": API_VERSION},
            "contact": {"email": f"admin@{self.domain}", "account": None},
            "rules": [],
        }

    def instance_v1(self) -> dict[str, Any]:
        """docs: methods/instance#v1 (deprecated but still served)."""
        return {
            "uri": self.domain,
            "title": f"{self.domain} (envol test server)",
            "short_description": "An in-process stand-in for a Mastodon server, for tests.",
            "description": "",
            "email": f"admin@{self.domain}",
            "version": VERSION,
            "urls": {"streaming_api": f"wss://{self.domain}"},
            "stats": {
                "user_count": self._local_users(),
                "status_count": len(self.store.statuses),
                "domain_count": len({a.domain for a in self.store.accounts.values() if a.domain}),
            },
            "thumbnail": None,
            "languages": ["fr", "en"],
            "registrations": False,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": self._configuration(),
            "contact_account": None,
            "rules": [],
        }

    def _local_users(self) -> int:
        return sum(1 for a in self.store.accounts.values() if a.domain is None)
