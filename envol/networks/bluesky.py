"""Bluesky (AT Protocol) behind the `Network` interface, on the `atproto` SDK.

Choices and why:
- Log in with `com.atproto.server.createSession` (handle + app password) and never fetch the
  profile at login: a PDS without an AppView cannot serve it. The session is exported as JSON for
  the Django layer to store encrypted, and re-exported through `on_session_change` whenever the
  SDK refreshes it (createSession is limited to 30 per 5 minutes: reuse sessions).
- Every record envol creates has a key chosen by the caller (a TID, see `new_tid`), so a retried
  write targets the same record. The PDS answers a create on an existing key with a bare 500, so
  after any transient failure of a create the adapter looks the key up before sending again.
- Follows go in `applyWrites` batches of at most 200 creates (3 rate points each).
- Reads that only an AppView can answer (profiles, counts) go to `BlueskyConfig.appview`; without
  one they raise `Unsupported` instead of a 502 from the PDS.
- Domain handles resolve through the PDS, then DNS TXT `_atproto.<domain>` and
  `https://<domain>/.well-known/atproto-did` — both lookups injectable; the HTTPS one goes through
  the SSRF guard by default.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import orjson

from envol.networks import facets, ssrf, text
from envol.networks.base import (
    AccountMetrics,
    AuthError,
    Capabilities,
    FollowRequest,
    FollowResult,
    FollowStatus,
    Identity,
    InvalidContent,
    Network,
    NetworkError,
    NetworkName,
    NotFound,
    OwnFollow,
    OwnPost,
    OwnPostsPage,
    PostDraft,
    PostMetrics,
    ProfileUpdate,
    Publication,
    TextUnit,
    Transient,
    Unsupported,
    check_media,
)
from envol.networks.http import Retrier, error_for_status, http_transport, rate_limited
from envol.networks.metrics import BLUESKY_METRICS
from envol.networks.ratelimit import (
    BLUESKY_WRITE_COSTS,
    Clock,
    RateBudget,
    RateTracker,
    bluesky_observation,
    bluesky_tracker,
    utc_now,
)

if TYPE_CHECKING:
    from atproto import exceptions as sdk_errors

# The atproto SDK is imported where it is used, never with this module: importing it builds
# hundreds of pydantic models (~1.3 s), and every command that sets Django up imports this
# module (its capabilities, `new_tid`) without ever talking to Bluesky.

T = TypeVar("T")

POST = "app.bsky.feed.post"
FOLLOW = "app.bsky.graph.follow"
PROFILE = "app.bsky.actor.profile"
MAX_WRITES_PER_CALL = 200
MAX_POSTS_PER_READ = 25
LIST_PAGE = 100

CAPABILITIES = Capabilities(
    network=NetworkName.BLUESKY,
    text_unit=TextUnit.GRAPHEMES,
    text_limit=300,
    text_byte_limit=3000,
    url_weight=None,
    max_images=4,
    image_byte_limit=1_000_000,  # 2 MB on current PDSes, 1 MB on older ones: aim at the lower
    alt_text_limit=2000,
    threads=True,
    backdating=True,
    content_warning=False,  # only self-labels (adult content), no free-text warning
    link_cards=True,
    max_langs=3,
    max_follow_batch=MAX_WRITES_PER_CALL,
    metrics=BLUESKY_METRICS,
)

WRITE_NSIDS = frozenset(
    {
        "com.atproto.repo.applyWrites",
        "com.atproto.repo.createRecord",
        "com.atproto.repo.putRecord",
        "com.atproto.repo.deleteRecord",
    }
)
SESSION_NSIDS = frozenset({"com.atproto.server.createSession"})

_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2048}$")
_HANDLE = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)

# --- record keys ------------------------------------------------------------------------------

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


class TidClock:
    """Record keys of type `tid`: 13 sortable base32 characters of (µs since epoch << 10 | clock
    id). Strictly increasing within a process, so a batch of 200 keys never repeats one."""

    def __init__(self, clock_id: int | None = None) -> None:
        self._clock_id = secrets.randbelow(1024) if clock_id is None else clock_id & 1023
        self._last_us = 0
        self._lock = threading.Lock()

    def next(self, now_us: int | None = None) -> str:
        with self._lock:
            micros = time.time_ns() // 1000 if now_us is None else now_us
            micros = max(micros, self._last_us + 1)
            self._last_us = micros
        return tid_at(micros, self._clock_id)


def tid_at(micros: int, clock_id: int) -> str:
    """The TID of a moment (µs since the epoch) and a clock id: a key chosen from the data
    (a history post's original date) is the same key on every attempt."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 1023)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


_default_tids = TidClock()


def new_tid() -> str:
    """A fresh record key, to store on the item *before* the write that uses it."""
    return _default_tids.next()


def is_tid(key: str) -> bool:
    return bool(_TID_RE.match(key))


# --- configuration and session ----------------------------------------------------------------


@dataclass(frozen=True)
class BlueskyConfig:
    service: str = "https://bsky.social"  # the PDS (or the entryway) to log in to
    appview: str | None = None  # e.g. https://public.api.bsky.app; None: no profiles, no counts
    web: str = "https://bsky.app"  # for public URLs of posts and profiles
    timeout_s: float = 15.0


@dataclass(frozen=True)
class BlueskySession:
    """What must be stored (encrypted) to act as the account without its password."""

    handle: str
    did: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)
    pds: str

    def export(self) -> str:
        return json.dumps(
            {
                "handle": self.handle,
                "did": self.did,
                "access_jwt": self.access_jwt,
                "refresh_jwt": self.refresh_jwt,
                "pds": self.pds,
            }
        )

    @classmethod
    def load(cls, exported: str) -> BlueskySession:
        try:
            data = json.loads(exported)
            return cls(
                handle=str(data["handle"]),
                did=str(data["did"]),
                access_jwt=str(data["access_jwt"]),
                refresh_jwt=str(data["refresh_jwt"]),
                pds=str(data["pds"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthError("The stored Bluesky session is unreadable: reconnect.") from exc

    @classmethod
    def _from_sdk(cls, session: Any) -> BlueskySession:
        return cls(
            handle=session.handle,
            did=session.did,
            access_jwt=session.access_jwt,
            refresh_jwt=session.refresh_jwt,
            pds=str(session.pds_endpoint or ""),
        )

    def _to_sdk(self) -> str:
        from atproto import Session

        return str(Session(self.handle, self.did, self.access_jwt, self.refresh_jwt, self.pds))


# --- handle resolution outside the PDS ----------------------------------------------------------

TxtLookup = Callable[[str], Sequence[str]]
WellKnownFetch = Callable[[str], str | None]


def dns_txt(name: str) -> list[str]:
    """TXT strings of `name`; none when it does not exist or the lookup fails."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=3.0)
    except dns.exception.DNSException:
        return []
    return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


def guarded_well_known(url: str) -> str | None:
    """The body of `https://<domain>/.well-known/atproto-did`, fetched through the SSRF guard."""
    try:
        result = ssrf.fetch(url, policy=ssrf.FetchPolicy(timeout_s=3.0, max_bytes=2048))
    except (ssrf.SsrfRefused, ssrf.FetchFailed):
        return None
    return result.body.decode("utf-8", "replace") if result.status == 200 else None


@dataclass(frozen=True)
class HandleLookups:
    txt: TxtLookup = dns_txt
    well_known: WellKnownFetch = guarded_well_known


def resolve_handle_locally(handle: str, lookups: HandleLookups) -> str | None:
    """The DID a domain publishes for `handle` (DNS first, then HTTPS), None when neither does
    (or when DNS gives conflicting answers, which the protocol treats as none)."""
    dids = {
        value.strip()[4:].strip()
        for value in lookups.txt(f"_atproto.{handle}")
        if value.strip().startswith("did=")
    }
    if len(dids) == 1:
        (did,) = dids
        if _DID.match(did):
            return did
    body = (lookups.well_known(f"https://{handle}/.well-known/atproto-did") or "").strip()
    first_line = body.splitlines()[0].strip() if body else ""
    return first_line if _DID.match(first_line) else None


# --- the adapter ------------------------------------------------------------------------------


class BlueskyNetwork(Network):
    name = NetworkName.BLUESKY

    def __init__(
        self,
        config: BlueskyConfig,
        session: BlueskySession,
        *,
        on_session_change: Callable[[BlueskySession], None] | None = None,
        retrier: Retrier | None = None,
        clock: Clock = utc_now,
        rates: RateTracker | None = None,
        lookups: HandleLookups | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self._retry = retrier or Retrier()
        self._clock = clock
        self._rates = rates or bluesky_tracker(clock)
        self._lookups = lookups or HandleLookups()
        self._transport = transport
        self._on_session_change = on_session_change
        self._client = self._sdk_client(config.service)
        self._client.on_session_change(self._session_changed)
        if session.access_jwt:
            self._sdk(
                lambda: self._client.login(
                    session_string=session._to_sdk(), fetch_bsky_profile=False
                ),
                retry_safe=True,
            )
        # else: the transport authorises every request (OAuth, see `over_oauth`)
        self._session = session
        self._appview = self._sdk_client(config.appview) if config.appview else None

    @classmethod
    def login(
        cls, config: BlueskyConfig, identifier: str, app_password: str, **options: Any
    ) -> BlueskyNetwork:
        """Create a session with a handle (or DID, or email) and an app password."""
        from atproto import Client
        from atproto import exceptions as sdk_errors
        from atproto_client.request import Request

        probe = Client(
            base_url=config.service,
            request=Request(
                timeout=config.timeout_s, transport=http_transport(options.get("transport"))
            ),
        )
        try:
            probe.login(identifier.strip().lstrip("@"), app_password, fetch_bsky_profile=False)
        except sdk_errors.AtProtocolError as exc:
            raise _map_sdk_error(exc, utc_now) from exc
        finally:
            probe.request.close()
        return cls(config, BlueskySession._from_sdk(probe._session), **options)

    @classmethod
    def over_oauth(
        cls,
        config: BlueskyConfig,
        did: str,
        handle: str,
        transport: httpx.BaseTransport,
        **options: Any,
    ) -> BlueskyNetwork:
        """Acting through an OAuth session: `transport` (`atproto_oauth.DpopTransport`) signs
        each request to the account's PDS (`config.service`); the SDK holds no token."""
        session = BlueskySession(handle, did, access_jwt="", refresh_jwt="", pds=config.service)
        return cls(config, session, transport=transport, **options)

    def _sdk_client(self, base_url: str) -> Any:
        from atproto import Client
        from atproto_client.request import Request

        request = Request(
            timeout=self.config.timeout_s,
            transport=http_transport(self._transport),
            event_hooks={"response": [self._observe_response]},
        )
        return Client(base_url=base_url, request=request)

    # -- session --

    def export_session(self) -> str:
        """The current session (JSON, secret: store it encrypted)."""
        return self._session.export()

    @property
    def did(self) -> str:
        return self._session.did

    def refresh_session(self) -> None:
        self._sdk(self._client._refresh_and_set_session, retry_safe=True)

    def _session_changed(self, event: Any, session: Any) -> None:
        from atproto import SessionEvent

        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            self._session = BlueskySession._from_sdk(session)
            if self._on_session_change is not None:
                self._on_session_change(self._session)

    # -- plumbing --

    def _observe_response(self, response: httpx.Response) -> None:
        observation = bluesky_observation(response.headers)
        if observation is None:
            return
        nsid = response.request.url.path.rsplit("/", 1)[-1]
        if nsid in SESSION_NSIDS:
            action = "session"
        elif nsid in WRITE_NSIDS and observation.window_s in (3600, 86400):
            action = "write"
        else:
            action = "request"
        self._rates.budget(action).observe(observation)

    def _sdk(self, call: Callable[[], T], *, retry_safe: bool) -> T:
        from atproto import exceptions as sdk_errors

        def mapped() -> T:
            try:
                return call()
            except sdk_errors.AtProtocolError as exc:
                raise _map_sdk_error(exc, self._clock) from exc

        return self._retry(mapped, retry_safe=retry_safe)

    def _repo(self) -> Any:
        return self._client.com.atproto.repo

    def _require_appview(self) -> Any:
        if self._appview is None:
            raise Unsupported(
                "Profiles and counts need a Bluesky AppView: none is configured.",
                code="appview_missing",
            )
        return self._appview

    def rate_budget(self, action: str) -> RateBudget:
        return self._rates.budget(action)

    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    # -- identities --

    def whoami(self) -> Identity:
        session = self._sdk(self._client.com.atproto.server.get_session, retry_safe=True)
        return Identity(
            self.name, session.did, session.handle, url=self._profile_url(session.handle)
        )

    def resolve(self, handle: str) -> Identity:
        handle = handle.strip().lstrip("@").lower()
        if _DID.match(handle):
            return self._identity(handle, "")
        if not _HANDLE.match(handle):
            raise NotFound(f"{handle!r} is not a Bluesky handle.")
        try:
            did = self._sdk(
                lambda: self._client.com.atproto.identity.resolve_handle({"handle": handle}).did,
                retry_safe=True,
            )
        except (NotFound, InvalidContent):
            did = resolve_handle_locally(handle, self._lookups)
            if did is None:
                raise NotFound(f"No Bluesky account has the handle @{handle}.") from None
        return self._identity(did, handle)

    def _identity(self, did: str, handle: str) -> Identity:
        appview = self._appview
        if appview is None:
            return Identity(self.name, did, handle, url=self._profile_url(handle or did))
        profile = self._sdk(
            lambda: appview.app.bsky.actor.get_profile({"actor": did}), retry_safe=True
        )
        return Identity(
            self.name,
            did,
            profile.handle,
            display_name=profile.display_name or "",
            url=self._profile_url(profile.handle),
        )

    def _profile_url(self, actor: str) -> str:
        return f"{self.config.web}/profile/{actor}"

    # -- follows --

    def list_follows(self) -> Iterator[OwnFollow]:
        for uri, value in self._list_records(FOLLOW):
            yield OwnFollow(subject=str(value.get("subject", "")), key=_rkey(uri), uri=uri)

    def _list_records(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {
                "repo": self.did,
                "collection": collection,
                "limit": LIST_PAGE,
            }
            if cursor:
                params["cursor"] = cursor
            page = self._sdk(partial(self._repo().list_records, params), retry_safe=True)
            for record in page.records:
                yield record.uri, _as_dict(record.value)
            cursor = page.cursor
            if not cursor or not page.records:
                return

    def get_follow(self, key: str) -> OwnFollow | None:
        """The follow record with this key, if it exists (to reconcile `sent` items)."""
        found = self._get_record(FOLLOW, key)
        if found is None:
            return None
        uri, _cid, value = found
        return OwnFollow(subject=str(value.get("subject", "")), key=key, uri=uri)

    def follow_many(self, requests: Sequence[FollowRequest]) -> list[FollowResult]:
        """One `applyWrites` of creates at the caller's keys. After a transient failure the keys
        are looked up before anything is sent again: the PDS may have committed the batch."""
        if len(requests) > MAX_WRITES_PER_CALL:
            raise ValueError(f"At most {MAX_WRITES_PER_CALL} follows per call.")
        results: dict[str, FollowResult] = {}
        to_send: list[FollowRequest] = []
        for request in requests:
            if not _DID.match(request.subject):
                results[request.key] = FollowResult(
                    request.subject, FollowStatus.FAILED, request.key, error="not a DID"
                )
            elif not is_tid(request.key):
                raise ValueError(f"A follow's key must be a TID, not {request.key!r}.")
            else:
                to_send.append(request)
        if to_send:
            now = _timestamp(self._clock())  # one instant for the call's records, formatted once
            created = self._create_many(
                FOLLOW, [(r.key, self._follow_record(r, now)) for r in to_send]
            )
            for request in to_send:
                results[request.key] = FollowResult(
                    request.subject, FollowStatus.FOLLOWED, request.key, uri=created[request.key][0]
                )
        return [results[request.key] for request in requests]

    def _follow_record(self, request: FollowRequest, created_at: str) -> dict[str, Any]:
        return {"$type": FOLLOW, "subject": request.subject, "createdAt": created_at}

    def _create_many(
        self, collection: str, records: Sequence[tuple[str, dict[str, Any]]]
    ) -> dict[str, tuple[str, str]]:
        """key → (URI, CID) of every record, created in one commit, or found already there."""
        remaining = list(records)
        found: dict[str, tuple[str, str]] = {}

        def attempt() -> dict[str, tuple[str, str]]:
            nonlocal remaining
            writes = [
                {
                    "$type": "com.atproto.repo.applyWrites#create",
                    "collection": collection,
                    "rkey": key,
                    "value": value,
                }
                for key, value in remaining
            ]
            self.rate_budget("write").spend(len(writes) * BLUESKY_WRITE_COSTS["create"])
            try:
                results = self._sdk(partial(self._apply_writes, writes), retry_safe=False)
            except Transient:
                for key, _value in remaining:
                    existing = self._get_record(collection, key)
                    if existing is not None:
                        found[key] = (existing[0], existing[1])
                remaining = [(k, v) for k, v in remaining if k not in found]
                if remaining:
                    raise
                return found
            cids = {
                _rkey(str(result.get("uri", ""))): str(result["cid"])
                for result in results
                if isinstance(result, Mapping) and result.get("cid")
            }
            for key, _value in remaining:
                found[key] = (_at_uri(self.did, collection, key), cids.get(key, ""))
            remaining = []
            return found

        return self._retry(attempt, retry_safe=True)

    def _apply_writes(self, writes: Sequence[Mapping[str, Any]]) -> list[Any]:
        """`com.atproto.repo.applyWrites` with its body serialised here, once: the SDK's models
        of up to 200 writes that envol built itself were two thirds of this adapter's CPU per
        call (the PDS validates every record anyway). The SDK still authenticates, sends,
        refreshes the session and raises its errors. The answer's `results`, as JSON."""
        body = orjson.dumps({"repo": self.did, "writes": writes}, default=_as_dict)
        response = self._client.invoke_procedure(
            "com.atproto.repo.applyWrites",
            content=body,
            headers={"Content-Type": "application/json"},
            output_encoding="application/json",
        )
        answer = response.content if isinstance(response.content, Mapping) else {}
        return list(answer.get("results") or [])

    # -- generic records (lists, starter packs: what has no method of its own) --

    def list_records(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(record key, value) of every record of `collection` in the own repository."""
        for uri, value in self._list_records(collection):
            yield _rkey(uri), value

    def put_record(self, collection: str, key: str, record: dict[str, Any]) -> None:
        """Create or replace the record at `key`: idempotent, so retried safely."""
        self.rate_budget("write").spend(BLUESKY_WRITE_COSTS["update"])
        data = {"repo": self.did, "collection": collection, "rkey": key, "record": record}
        self._sdk(lambda: self._repo().put_record(data), retry_safe=True)

    def create_records(
        self, collection: str, records: Sequence[tuple[str, dict[str, Any]]]
    ) -> None:
        """Create records at caller-chosen keys in batches of `MAX_WRITES_PER_CALL`; records already
        at their key are left as they are (a retry after a lost answer creates nothing)."""
        for start in range(0, len(records), MAX_WRITES_PER_CALL):
            self._create_many(collection, records[start : start + MAX_WRITES_PER_CALL])

    def delete_records(self, collection: str, keys: Sequence[str]) -> None:
        """Delete the records at `keys` (already gone: not an error), in batches."""
        for start in range(0, len(keys), MAX_WRITES_PER_CALL):
            batch = keys[start : start + MAX_WRITES_PER_CALL]
            writes = [
                {
                    "$type": "com.atproto.repo.applyWrites#delete",
                    "collection": collection,
                    "rkey": key,
                }
                for key in batch
                if self._get_record(collection, key) is not None
            ]
            if not writes:
                continue
            self.rate_budget("write").spend(len(writes) * BLUESKY_WRITE_COSTS["delete"])
            body = {"repo": self.did, "writes": writes}
            self._sdk(partial(self._repo().apply_writes, body), retry_safe=True)

    # -- posts --

    def publish(self, draft: PostDraft, key: str) -> Publication:
        if not is_tid(key):
            raise ValueError(f"A Bluesky post's key must be a TID, not {key!r}.")
        record = self._post_record(draft)
        uri, cid = self._create_one(POST, key, record)
        return Publication(
            self.name, uri, key, url=f"{self._profile_url(self.did)}/post/{key}", cid=cid
        )

    def _post_record(self, draft: PostDraft) -> dict[str, Any]:
        rules = text.TextRules.bluesky()
        length = text.count(draft.text, rules)
        if length > rules.limit or len(draft.text.encode()) > (rules.byte_limit or 0):
            raise InvalidContent(
                "text_too_long", f"The text counts {length}; Bluesky allows {rules.limit}."
            )
        if draft.content_warning:
            raise InvalidContent(
                "content_warning_unsupported", "Bluesky has no free-text content warning."
            )
        if len(draft.langs) > CAPABILITIES.max_langs:
            raise InvalidContent("too_many_langs", "Bluesky accepts at most 3 languages.")
        blobs = check_media(draft.media, CAPABILITIES)
        record: dict[str, Any] = {
            "$type": POST,
            "text": draft.text,
            "createdAt": _timestamp(draft.created_at or self._clock()),
        }
        facets = self._facets(draft.text)
        if facets:
            record["facets"] = facets
        if draft.langs:
            record["langs"] = list(draft.langs)
        if draft.reply_to is not None:
            root = draft.reply_root or draft.reply_to
            record["reply"] = {
                "root": {"uri": root.uri, "cid": root.cid},
                "parent": {"uri": draft.reply_to.uri, "cid": draft.reply_to.cid},
            }
        if draft.media:
            images = []
            for media, data in zip(draft.media, blobs, strict=True):
                image: dict[str, Any] = {"image": self._upload(data, media.mime), "alt": media.alt}
                if media.aspect_ratio is not None:
                    width, height = media.aspect_ratio
                    image["aspectRatio"] = {"width": width, "height": height}
                images.append(image)
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
        elif draft.link_card is not None:
            # Images and a card cannot share a post; the link stays clickable in the text.
            card = draft.link_card
            external: dict[str, Any] = {
                "uri": card.uri,
                "title": card.title,
                "description": card.description,
            }
            if card.thumb is not None:
                external["thumb"] = self._upload(card.thumb, card.thumb_mime)
            record["embed"] = {"$type": "app.bsky.embed.external", "external": external}
        return record

    def _facets(self, body: str) -> list[dict[str, object]]:
        """Links, tags and mentions; a mention whose handle does not resolve stays plain text."""
        detected = facets.detect_facets(body)
        dids: dict[str, str] = {}
        for handle in facets.mentioned_handles(detected):
            try:
                dids[handle] = self.resolve(handle).remote_id
            except NotFound:
                continue
        return facets.to_lexicon(detected, dids)

    def _upload(self, data: bytes, mime: str) -> dict[str, Any]:
        """Blobs are content-addressed: uploading twice is harmless, so retries are safe."""
        response = self._sdk(
            lambda: self._repo().upload_blob(data, headers={"Content-Type": mime}),
            retry_safe=True,
        )
        blob: dict[str, Any] = response.blob.model_dump(mode="json", by_alias=True)
        return blob

    def _create_one(self, collection: str, key: str, record: dict[str, Any]) -> tuple[str, str]:
        """Create at `key`; after a transient failure, find the record before sending again."""

        def attempt() -> tuple[str, str]:
            self.rate_budget("write").spend(BLUESKY_WRITE_COSTS["create"])
            data = {"repo": self.did, "collection": collection, "rkey": key, "record": record}
            try:
                created = self._sdk(lambda: self._repo().create_record(data), retry_safe=False)
            except Transient:
                existing = self._get_record(collection, key)
                if existing is None:
                    raise
                return existing[0], existing[1]
            return str(created.uri), str(created.cid)

        return self._retry(attempt, retry_safe=True)

    def _get_record(self, collection: str, key: str) -> tuple[str, str, dict[str, Any]] | None:
        params = {"repo": self.did, "collection": collection, "rkey": key}
        try:
            found = self._sdk(lambda: self._repo().get_record(params), retry_safe=True)
        except NotFound:
            return None
        return str(found.uri), str(found.cid or ""), _as_dict(found.value)

    def create_posts(
        self, records: Sequence[tuple[str, dict[str, Any]]]
    ) -> dict[str, tuple[str, str]]:
        """Create post records at caller-chosen keys (TIDs) in ONE `applyWrites`, so a thread
        whose replies name their parents by a CID computed beforehand (`networks.cid`) lands
        whole or not at all. key → (URI, CID as the PDS computed it; found again after a lost
        answer)."""
        if len(records) > MAX_WRITES_PER_CALL:
            raise ValueError(f"At most {MAX_WRITES_PER_CALL} posts per call.")
        for key, _record in records:
            if not is_tid(key):
                raise ValueError(f"A Bluesky post's key must be a TID, not {key!r}.")
        return self._create_many(POST, records) if records else {}

    def post_ref(self, key: str) -> tuple[str, str] | None:
        """(URI, CID) of the own post at `key`, if it exists (to reconcile a batch)."""
        found = self._get_record(POST, key)
        return None if found is None else (found[0], found[1])

    def upload_blob(self, data: bytes, mime: str) -> dict[str, Any]:
        """Upload a file; its blob reference (JSON form) for a record. A file over the PDS's own
        upload limit raises `InvalidContent` with reason `too_large`."""
        try:
            return self._upload(data, mime)
        except InvalidContent as exc:
            if exc.http_status == 413 or "too large" in str(exc).lower():
                raise InvalidContent("too_large", str(exc)) from exc
            raise

    def get_post(self, key: str) -> dict[str, Any] | None:
        """The post record at `key` as stored in the repo (for reconciliation and tests)."""
        found = self._get_record(POST, key)
        return None if found is None else found[2]

    def delete(self, publication: Publication) -> None:
        self.rate_budget("write").spend(BLUESKY_WRITE_COSTS["delete"])
        data = {"repo": self.did, "collection": POST, "rkey": _rkey(publication.uri)}
        try:
            self._sdk(lambda: self._repo().delete_record(data), retry_safe=True)
        except NotFound:
            return

    # -- metrics and profile --

    def post_metrics(self, publications: Sequence[Publication]) -> list[PostMetrics]:
        appview = self._require_appview()
        now = self._clock()
        metrics: dict[str, PostMetrics] = {}
        uris = [p.uri for p in publications]
        for start in range(0, len(uris), MAX_POSTS_PER_READ):
            chunk = uris[start : start + MAX_POSTS_PER_READ]
            page = self._sdk(
                partial(appview.app.bsky.feed.get_posts, {"uris": chunk}), retry_safe=True
            )
            for post in page.posts:
                metrics[post.uri] = _counts(post, now)
        return [metrics.get(uri, PostMetrics(uri=uri, fetched_at=now)) for uri in uris]

    def account_metrics(self) -> AccountMetrics:
        appview = self._require_appview()
        profile = self._sdk(
            lambda: appview.app.bsky.actor.get_profile({"actor": self.did}), retry_safe=True
        )
        return AccountMetrics(
            remote_id=self.did,
            fetched_at=self._clock(),
            followers=profile.followers_count,
            following=profile.follows_count,
            posts=profile.posts_count,
        )

    def own_posts(self, since: datetime, cursor: str | None = None) -> OwnPostsPage:
        """lexicon: app.bsky.feed.getAuthorFeed on the AppView (public, no login), newest
        first; reposts (items with a `reason`) and others' posts are left out. The feed is
        sorted by the time each item was indexed or created, whichever is earlier, so the first
        own post older than `since` ends the listing."""
        appview = self._require_appview()
        params: dict[str, Any] = {
            "actor": self.did,
            "limit": LIST_PAGE,
            "filter": "posts_with_replies",
        }
        if cursor:
            params["cursor"] = cursor
        page = self._sdk(partial(appview.app.bsky.feed.get_author_feed, params), retry_safe=True)
        now = self._clock()
        posts: list[OwnPost] = []
        for item in page.feed:
            post = item.post
            if item.reason is not None or post.author.did != self.did:
                continue
            record = post.record
            created = _iso_time(_field(record, "created_at", "createdAt") or post.indexed_at)
            if created < since:
                return OwnPostsPage(posts, None)
            rkey = _rkey(post.uri)
            posts.append(
                OwnPost(
                    publication=Publication(
                        self.name,
                        post.uri,
                        rkey,
                        url=f"{self._profile_url(self.did)}/post/{rkey}",
                        cid=post.cid,
                    ),
                    created_at=created,
                    text=str(_field(record, "text", "text") or ""),
                    metrics=_counts(post, now),
                )
            )
        return OwnPostsPage(posts, page.cursor or None)

    def update_profile(self, update: ProfileUpdate) -> None:
        """Read-modify-write of the `self` profile record (avatar and banner are kept)."""
        found = self._get_record(PROFILE, "self")
        record = dict(found[2]) if found else {"$type": PROFILE}
        if update.display_name is not None:
            record["displayName"] = update.display_name
        if update.description is not None:
            record["description"] = update.description
        if update.website is not None:
            record["website"] = update.website
        self.rate_budget("write").spend(BLUESKY_WRITE_COSTS["update"])
        data = {"repo": self.did, "collection": PROFILE, "rkey": "self", "record": record}
        self._sdk(lambda: self._repo().put_record(data), retry_safe=True)


# --- records of archived posts ------------------------------------------------------------------

# X's own codes in `lang`: undetermined, no text, media only, hashtags only, … — not languages.
_NOT_LANGUAGES = frozenset({"und", "zxx", "qme", "qht", "qst", "qam", "qct"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class StrongRef:
    """A record named by URI and CID (`com.atproto.repo.strongRef`): replies and quotes."""

    uri: str
    cid: str

    def as_json(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}


@dataclass(frozen=True)
class ImageBlob:
    blob: Mapping[str, Any]  # as `upload_blob` returned it
    alt: str
    aspect_ratio: tuple[int, int] | None = None


@dataclass(frozen=True)
class VideoBlob:
    blob: Mapping[str, Any]
    alt: str = ""
    aspect_ratio: tuple[int, int] | None = None
    gif: bool = False  # X's animated GIFs are videos; Bluesky plays them as GIFs


def post_langs(lang: str) -> list[str]:
    """A post's `langs` from an archive's language code (X's own pseudo-codes dropped)."""
    lang = lang.strip()
    return [lang] if lang not in _NOT_LANGUAGES and _LANGUAGE.match(lang) else []


def _aspect(ratio: tuple[int, int] | None) -> dict[str, int] | None:
    if ratio is None or ratio[0] <= 0 or ratio[1] <= 0:
        return None
    return {"width": ratio[0], "height": ratio[1]}


def _media_embed(images: Sequence[ImageBlob], video: VideoBlob | None) -> dict[str, Any] | None:
    if images:
        shown = []
        for image in images[: CAPABILITIES.max_images]:
            entry: dict[str, Any] = {"image": dict(image.blob), "alt": image.alt}
            ratio = _aspect(image.aspect_ratio)
            if ratio:
                entry["aspectRatio"] = ratio
            shown.append(entry)
        return {"$type": "app.bsky.embed.images", "images": shown}
    if video is not None:
        embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": dict(video.blob)}
        if video.alt:
            embed["alt"] = video.alt
        ratio = _aspect(video.aspect_ratio)
        if ratio:
            embed["aspectRatio"] = ratio
        if video.gif:
            embed["presentation"] = "gif"
        return embed
    return None


def post_record(
    text: str,
    facets: Sequence[Mapping[str, object]],
    created_at: datetime,
    *,
    langs: Sequence[str] = (),
    root: StrongRef | None = None,
    parent: StrongRef | None = None,
    images: Sequence[ImageBlob] = (),
    video: VideoBlob | None = None,
    quote: StrongRef | None = None,
) -> dict[str, Any]:
    """An `app.bsky.feed.post` record as JSON, with its own `createdAt` (backdating: the app
    shows "archived" on a post created long before it was indexed). Images win over a video
    (a post holds one kind of media); a quote with media is `recordWithMedia`."""
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _timestamp(created_at)}
    if facets:
        record["facets"] = [dict(facet) for facet in facets]
    if langs:
        record["langs"] = list(langs)[: CAPABILITIES.max_langs]
    if parent is not None:
        record["reply"] = {"root": (root or parent).as_json(), "parent": parent.as_json()}
    media = _media_embed(images, video)
    if quote is not None and media is not None:
        record["embed"] = {
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"$type": "app.bsky.embed.record", "record": quote.as_json()},
            "media": media,
        }
    elif quote is not None:
        record["embed"] = {"$type": "app.bsky.embed.record", "record": quote.as_json()}
    elif media is not None:
        record["embed"] = media
    return as_sent(POST, record)


def as_sent(collection: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` exactly as the atproto SDK puts it on the wire in an `applyWrites` create: the
    SDK turns the objects it knows into its models, which add their `$type` (a strong ref, an
    aspect ratio, a facet's byte slice…). The PDS stores and hashes that form, so a CID computed
    in advance (`networks.cid.record_cid`) must be computed on it. Converting it again changes
    nothing."""
    from atproto_client import models as sdk_models
    from atproto_client.models.utils import get_model_as_json, get_or_create

    write = {
        "$type": "com.atproto.repo.applyWrites#create",
        "collection": collection,
        "rkey": "self",
        "value": dict(record),
    }
    model = get_or_create(write, sdk_models.ComAtprotoRepoApplyWrites.Create)
    assert model is not None
    value: dict[str, Any] = orjson.loads(get_model_as_json(model))["value"]
    return value


# --- helpers ----------------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    """The lexicon's datetime: UTC, milliseconds, `Z`."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _at_uri(did: str, collection: str, key: str) -> str:
    return f"at://{did}/{collection}/{key}"


def _counts(post: Any, now: datetime) -> PostMetrics:
    """The counts of an AppView post view (app.bsky.feed.defs#postView)."""
    return PostMetrics(
        uri=post.uri,
        fetched_at=now,
        likes=post.like_count,
        reposts=post.repost_count,
        replies=post.reply_count,
        quotes=post.quote_count,
    )


def _field(record: Any, attribute: str, key: str) -> Any:
    """A field of a record the SDK parsed into a model, or left as a dict (unknown $type)."""
    if isinstance(record, Mapping):
        return record.get(key)
    return getattr(record, attribute, None)


def _iso_time(value: str) -> datetime:
    """An AT Protocol datetime (RFC 3339, `Z` or an offset), aware."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _as_dict(value: Any) -> dict[str, Any]:
    """A record value from the SDK (model or dict) as plain JSON data."""
    if isinstance(value, Mapping):
        return dict(value)
    dumped: dict[str, Any] = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


def _error_name(exc: sdk_errors.RequestErrorBase) -> tuple[str, str]:
    content = exc.response.content if exc.response is not None else None
    name = getattr(content, "error", None) or ""
    message = getattr(content, "message", None) or ""
    return str(name), str(message)


def _map_sdk_error(exc: sdk_errors.AtProtocolError, clock: Clock) -> NetworkError:
    """SDK exceptions → ours. The SDK lower-cases headers; a 429 keeps its window's reset."""
    from atproto import exceptions as sdk_errors

    if isinstance(exc, sdk_errors.LoginRequiredError):
        return AuthError("Not logged in to Bluesky.")
    if not isinstance(exc, sdk_errors.RequestErrorBase) or exc.response is None:
        return Transient(f"Could not reach the Bluesky server ({exc.__class__.__name__}).")
    response = exc.response
    headers = {str(k): str(v) for k, v in (response.headers or {}).items()}
    name, message = _error_name(exc)
    text_message = f"Bluesky {response.status_code} {name}: {message}".strip()
    if response.status_code == 429:
        return rate_limited(
            headers, bluesky_observation(headers), clock=clock, message=text_message
        )
    if name in ("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"):
        return AuthError(text_message)
    if name == "RecordNotFound" or "Could not locate record" in message:
        return NotFound(text_message)
    return error_for_status(response.status_code, text_message, reason=name or "rejected")
