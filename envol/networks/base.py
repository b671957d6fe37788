"""One interface for every social network envol talks to (the granary / Bridgy Fed pattern).

Why: migration, publishing and metrics must not care which network they drive. Each network is one
class behind `Network`; what differs between networks (text limits, batch sizes, which metrics
exist) is declared as data in `Capabilities`, never discovered by trial and error.

Exactly-once is the caller's contract with the adapters: every write that creates something takes a
key chosen and stored by the caller *before* the call (Bluesky: the record key, a TID; Mastodon: the
`Idempotency-Key`). Retrying with the same key never creates a second follow or post.

Pure Python: no Django, no database. Errors carry English messages plus stable `code`s that the
Django layer translates.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from envol.networks.metrics import MetricKinds
from envol.networks.ratelimit import RateBudget

# --- errors -----------------------------------------------------------------------------------


class NetworkError(Exception):
    """Anything that went wrong talking to a network. `code` is stable for programs."""

    code = "network_error"
    http_status: int | None = None  # the HTTP status that caused it, when there was one

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class AuthError(NetworkError):
    """The credentials are wrong, expired or revoked: the account must be reconnected."""

    code = "auth"


class NotFound(NetworkError):
    """The account, post or record does not exist (or no longer does)."""

    code = "not_found"


class InvalidContent(NetworkError):
    """The network refuses this content as it is; `reason` says why (a stable code)."""

    code = "invalid_content"

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason, code="invalid_content")
        self.reason = reason


class Transient(NetworkError):
    """A failure that may pass: network error, timeout, 5xx. Safe to retry idempotent calls."""

    code = "transient"


class Unsupported(NetworkError):
    """The network (or this configuration of it) cannot do this, e.g. metrics without an AppView."""

    code = "unsupported"


class RateLimited(NetworkError):
    """The network said 429 (or the rate model knows the next call would get one).

    `reset_at` is when the window reopens; `retry_after` the seconds until then at the time of the
    error. `completed` holds the per-target results of a batch that was cut short, so the caller
    can record them before parking the job.
    """

    code = "rate_limited"

    def __init__(
        self,
        reset_at: datetime,
        retry_after: float,
        *,
        message: str = "",
        completed: Sequence[FollowResult] = (),
    ) -> None:
        super().__init__(message or f"Rate limited until {reset_at.isoformat()}.")
        self.reset_at = reset_at
        self.retry_after = retry_after
        self.completed = tuple(completed)


# --- value types ------------------------------------------------------------------------------


class NetworkName(StrEnum):
    BLUESKY = "bluesky"
    MASTODON = "mastodon"


class TextUnit(StrEnum):
    GRAPHEMES = "graphemes"
    CHARACTERS = "characters"


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"


@dataclass(frozen=True)
class Capabilities:
    """What a network (or one Mastodon instance) accepts, as data the composer can plan with."""

    network: NetworkName
    text_unit: TextUnit
    text_limit: int
    text_byte_limit: int | None  # Bluesky also caps the UTF-8 size
    url_weight: int | None  # characters a URL counts for; None: counted as written
    max_images: int
    image_byte_limit: int | None
    alt_text_limit: int
    threads: bool
    backdating: bool
    content_warning: bool
    link_cards: bool
    max_langs: int
    max_follow_batch: int  # follows one call can create
    metrics: MetricKinds  # which metrics exist and their kind: exact, proxy or absent


@dataclass(frozen=True)
class Identity:
    """An account on a network. `remote_id` is the stable key: a DID, a Mastodon account id."""

    network: NetworkName
    remote_id: str
    handle: str  # Bluesky handle, Mastodon acct (user@domain for remote accounts)
    display_name: str = ""
    url: str = ""


@dataclass(frozen=True)
class Media:
    """An image to attach. Alt text is mandatory: public bodies must publish accessibly."""

    mime: str
    alt: str
    path: Path | None = None
    data: bytes | None = None
    aspect_ratio: tuple[int, int] | None = None  # (width, height)

    def __post_init__(self) -> None:
        if not self.alt.strip():
            raise InvalidContent("alt_missing", "Every image needs an alt text.")
        if (self.path is None) == (self.data is None):
            raise ValueError("Media needs exactly one of `path` or `data`.")

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass(frozen=True)
class LinkCard:
    """A link preview. Its metadata is supplied by the caller (fetched through the SSRF guard)."""

    uri: str
    title: str
    description: str = ""
    thumb: bytes | None = None
    thumb_mime: str = "image/jpeg"


@dataclass(frozen=True)
class Publication:
    """A post as published: `uri` is the network's canonical id (at:// URI, status URI)."""

    network: NetworkName
    uri: str
    remote_id: str  # Bluesky record key, Mastodon status id
    url: str  # the public web page
    cid: str = ""  # Bluesky content hash, needed to reply to the post


@dataclass(frozen=True)
class PostDraft:
    """One post to publish. `reply_root` defaults to `reply_to` (the first post of the thread)."""

    text: str
    media: tuple[Media, ...] = ()
    content_warning: str = ""
    langs: tuple[str, ...] = ()
    link_card: LinkCard | None = None
    reply_to: Publication | None = None
    reply_root: Publication | None = None
    created_at: datetime | None = None  # backdating, where the network allows it
    visibility: Visibility = Visibility.PUBLIC


@dataclass(frozen=True)
class PostMetrics:
    """Counts for one post; None where the network does not tell."""

    uri: str
    fetched_at: datetime
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None


@dataclass(frozen=True)
class AccountMetrics:
    remote_id: str
    fetched_at: datetime
    followers: int | None = None
    following: int | None = None
    posts: int | None = None


@dataclass(frozen=True)
class ProfileUpdate:
    """Fields to change on the own profile; None leaves a field as it is."""

    display_name: str | None = None
    description: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class FollowRequest:
    """Follow `subject` (DID, Mastodon account id). `key` is the caller's idempotency key: on
    Bluesky the follow record's key (a TID), stored before the call."""

    subject: str
    key: str = ""


class FollowStatus(StrEnum):
    FOLLOWED = "followed"
    ALREADY = "already"  # a follow existed before this call (same key, or another record)
    REQUESTED = "requested"  # a locked Mastodon account: waiting for approval
    NOT_FOUND = "not_found"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True)
class FollowResult:
    subject: str
    status: FollowStatus
    key: str = ""
    uri: str = ""  # the follow record's at:// URI on Bluesky
    error: str = ""


@dataclass(frozen=True)
class OwnFollow:
    """One account the own account follows, as the network records it."""

    subject: str  # DID, Mastodon account id
    key: str = ""  # Bluesky record key
    uri: str = ""  # Bluesky record URI
    handle: str = ""  # Mastodon acct when known


# --- the interface ----------------------------------------------------------------------------


class Network(abc.ABC):
    """One connected account on one network."""

    name: NetworkName

    @abc.abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abc.abstractmethod
    def whoami(self) -> Identity:
        """The connected account (checks that the credentials work)."""

    @abc.abstractmethod
    def resolve(self, handle: str) -> Identity:
        """A Bluesky handle or a Mastodon `user@domain` → the account; NotFound if none."""

    @abc.abstractmethod
    def list_follows(self) -> Iterator[OwnFollow]:
        """Every account the own account follows, page by page, as the network has them."""

    @abc.abstractmethod
    def follow_many(self, requests: Sequence[FollowRequest]) -> list[FollowResult]:
        """Follow up to `capabilities().max_follow_batch` subjects; one result per request, in
        order. A 429 part-way raises `RateLimited` whose `completed` lists what was done."""

    @abc.abstractmethod
    def publish(self, draft: PostDraft, key: str) -> Publication:
        """Publish one post; `key` makes the call idempotent (see the module docstring)."""

    def publish_thread(self, drafts: Sequence[PostDraft], keys: Sequence[str]) -> list[Publication]:
        """Publish posts as a thread, each replying to the previous one. Re-running with the same
        keys after a failure part-way finds the parts already published instead of doubling them."""
        if len(drafts) != len(keys):
            raise ValueError("One key per part of the thread.")
        if len(drafts) > 1 and not self.capabilities().threads:
            raise Unsupported(f"{self.name} cannot publish threads.", code="threads_unsupported")
        published: list[Publication] = []
        for draft, key in zip(drafts, keys, strict=True):
            if published:
                draft = replace(draft, reply_to=published[-1], reply_root=published[0])
            published.append(self.publish(draft, key))
        return published

    @abc.abstractmethod
    def delete(self, publication: Publication) -> None:
        """Delete a post. Deleting what is already gone is not an error."""

    @abc.abstractmethod
    def post_metrics(self, publications: Sequence[Publication]) -> list[PostMetrics]: ...

    @abc.abstractmethod
    def account_metrics(self) -> AccountMetrics: ...

    @abc.abstractmethod
    def update_profile(self, update: ProfileUpdate) -> None: ...

    @abc.abstractmethod
    def rate_budget(self, action: str) -> RateBudget:
        """The own account's budget for `action` (see `ratelimit`), fed by every response."""


def check_media(media: Sequence[Media], capabilities: Capabilities) -> list[bytes]:
    """Read the media and refuse what the network would refuse, before any upload."""
    if len(media) > capabilities.max_images:
        raise InvalidContent(
            "too_many_images", f"At most {capabilities.max_images} images per post."
        )
    blobs: list[bytes] = []
    for item in media:
        if len(item.alt) > capabilities.alt_text_limit:
            raise InvalidContent(
                "alt_too_long", f"Alt text is limited to {capabilities.alt_text_limit} characters."
            )
        data = item.read()
        if capabilities.image_byte_limit is not None and len(data) > capabilities.image_byte_limit:
            raise InvalidContent(
                "image_too_large",
                f"An image is {len(data)} bytes; the limit is {capabilities.image_byte_limit}.",
            )
        blobs.append(data)
    return blobs
