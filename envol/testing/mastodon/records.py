"""What the test server remembers: plain records, one per Mastodon table it imitates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class App:
    """docs: entities/Application#CredentialApplication."""

    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uris: list[str]
    client_id: str
    client_secret: str


@dataclass
class Token:
    """docs: entities/Token. ``account_id`` is None for a client_credentials (app) token."""

    id: str
    value: str
    app_id: str
    account_id: str | None
    scopes: list[str]
    created_at: float
    revoked: bool = False


@dataclass
class AuthorizationCode:
    value: str
    app_id: str
    account_id: str
    redirect_uri: str
    scopes: list[str]
    expires_at: float
    code_challenge: str | None = None
    used: bool = False


@dataclass
class ProfileField:
    """docs: entities/Account#Field. ``verified_at`` stands for a rel=me link that checked out."""

    name: str
    value: str
    verified_at: str | None = None


@dataclass
class Account:
    id: str
    username: str
    domain: str | None  # None for a local account
    display_name: str = ""
    note: str = ""
    locked: bool = False
    bot: bool = False
    discoverable: bool = True
    hide_collections: bool = False
    fields: list[ProfileField] = field(default_factory=list)
    created_at: float = 0.0
    suspended: bool = False
    # A remote account exists in the server's database only once it is "known" (resolved).
    known: bool = True
    # account_stats.last_status_at: the newest non-direct status's created_at (clamped to the
    # moment it was counted); kept when that status is deleted, as Mastodon keeps it.
    last_status_at: float | None = None


@dataclass
class Follow:
    """A follow or, with ``pending``, a follow request (locked target)."""

    id: str
    account_id: str
    target_id: str
    reblogs: bool = True
    notify: bool = False
    languages: list[str] | None = None
    pending: bool = False


@dataclass
class Media:
    id: str
    account_id: str
    type: str  # image, gifv, video, audio, unknown
    content_type: str
    size: int
    description: str | None
    focus: tuple[float, float] | None
    created_at: float
    processed_at: float  # when the background processing ends (== created_at for images)
    status_id: str | None = None
    scheduled_status_id: str | None = None


@dataclass
class Status:
    id: str
    account_id: str
    text: str
    spoiler_text: str
    visibility: str
    sensitive: bool
    language: str | None
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    media_ids: list[str]
    created_at: float
    application: str | None
    reblog_of_id: str | None = None  # a boost: an empty status pointing at the original


@dataclass
class Favourite:
    """A favourite: one per account and status (Favourite's uniqueness validation)."""

    id: str
    account_id: str
    status_id: str
    created_at: float


@dataclass
class ScheduledStatus:
    id: str
    account_id: str
    scheduled_at: float
    params: dict[str, Any]
    media_ids: list[str]
