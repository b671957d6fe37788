"""Instances share their crosswalk: a signed feed of *public dataset* links, and subscriptions.

Publishing: `journal` writes a `FeedChange` for every public link that appears or disappears
(consent given, lowered, withdrawn, space deleted). `feed_page` reads the journal after a cursor
as JSON Lines in the crosswalk's import format, plus `seq` and `op` on each line; the page is
signed with the instance's Ed25519 key (generated into the data dir like the other keys, its
public half served at /.well-known/envol/crosswalk-key) over the cursor and the body, so a page
can neither be altered nor replayed for another cursor.

Subscribing: `subscribe` pins the other instance's public key; a subscription is a job of the
engine (`sharing/jobs.py`) whose step, `pull_page`, fetches the page after the subscription's
cursor (ETag: a page already read costs a 304), verifies its signature,
then applies the additions through the ordinary dataset import (source = the subscription's
name, confidence = the subscription's) and the removals through `forget` for that source's
links. A page whose signature does not verify is refused whole: nothing of it is applied. The
workers pull every `ENVOL_CROSSWALK_PULL_MINUTES`; `envol crosswalk pull` pulls now.
"""

from __future__ import annotations

import base64
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from envol import config, outbound
from envol.crosswalk import incremental, store
from envol.crosswalk.models import IdentityLink
from envol.crosswalk.services import dataset_source, import_dataset
from envol.crosswalk.sources import SELF_PUBLIC
from envol.jobs.kinds import Outcome, Step, again, later, retry
from envol.networks.guarded import GuardedError, Http
from envol.orgs.services import OrgError, audit
from envol.sharing.models import FeedChange, Subscription

FEED_PATH = "/.well-known/envol/crosswalk-feed.jsonl"
KEY_PATH = "/.well-known/envol/crosswalk-key"
PAGE_SIZE = 5000
MAX_PAGE_BYTES = 8 * 1024 * 1024
SIGNATURE_HEADER = "Envol-Signature"
CONTEXT = b"envol-crosswalk-feed/1\n"
DEFAULT_CONFIDENCE = 0.9

LinkKey = tuple[str, str, str]  # (x id, network, remote id)


class FeedError(OrgError):
    """A feed cannot be read or was refused; the message says why and what to do."""


# --- the instance's key ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _private_key() -> Ed25519PrivateKey:
    def make() -> str:
        return (
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )

    pem = config.stored_secret(settings.DATA_DIR / "crosswalk_feed_key.pem", make)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise FeedError(_("The feed's key in the data folder is not an Ed25519 key."))
    return key


def public_key() -> str:
    raw = (
        _private_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return _b64(raw)


def key_document() -> dict[str, str]:
    """The public key (a JWK), served at KEY_PATH."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": public_key(),
        "use": "sig",
        "feed": settings.PUBLIC_URL + FEED_PATH,
    }


def _signed_bytes(after: int, body: bytes) -> bytes:
    return CONTEXT + str(after).encode() + b"\n" + body


def sign(after: int, body: bytes) -> str:
    return _b64(_private_key().sign(_signed_bytes(after, body)))


def verify(key: str, after: int, body: bytes, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key)).verify(
            _unb64(signature), _signed_bytes(after, body)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


# --- publishing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicLink:
    x_id: str
    x_handle: str
    network: str
    remote_id: str
    remote_handle: str

    @property
    def key(self) -> LinkKey:
        return (self.x_id, self.network, self.remote_id)


def public_links_of(organisation_id: int) -> dict[LinkKey, PublicLink]:
    """The links an organisation (a person) put in the public dataset."""
    rows = IdentityLink.objects.asserted_by(SELF_PUBLIC, organisation_id).values_list(
        "x_id", "x_handle", "network", "remote_id", "remote_handle"
    )
    found = [PublicLink(*row) for row in rows]
    return {link.key: link for link in found}


def journal(
    before: dict[LinkKey, PublicLink],
    after: dict[LinkKey, PublicLink],
    now: datetime | None = None,
) -> int:
    """Write what changed in the public dataset between two states of one owner's links."""
    when = now or timezone.now()
    changes = [
        FeedChange(op=FeedChange.Op.REMOVE, at=when, **_fields(before[key]))
        for key in before.keys() - after.keys()
    ] + [
        FeedChange(op=FeedChange.Op.ADD, at=when, **_fields(link))
        for key, link in after.items()
        if before.get(key) != link
    ]
    FeedChange.objects.bulk_create(changes)
    return len(changes)


def _fields(link: PublicLink) -> dict[str, str]:
    return {
        "x_id": link.x_id,
        "x_handle": link.x_handle,
        "network": link.network,
        "remote_id": link.remote_id,
        "remote_handle": link.remote_handle,
    }


def _line(change: FeedChange) -> dict[str, Any]:
    """One change in the crosswalk import format (plus `seq` and `op`)."""
    row: dict[str, Any] = {"seq": change.pk, "op": change.op, "x_id": change.x_id}
    if change.network == "bluesky":
        row["bluesky_did"] = change.remote_id
    else:
        row["mastodon_account"] = change.remote_id
    if change.op == FeedChange.Op.ADD:
        if change.x_handle:
            row["x_handle"] = change.x_handle
        if change.network == "bluesky" and change.remote_handle:
            row["bluesky_handle"] = change.remote_handle
        row["evidence"] = "the account's owner, signed in on the publishing instance"
        row["confidence"] = 1.0
    return row


@dataclass(frozen=True)
class FeedPage:
    after: int
    last: int
    body: bytes
    signature: str

    @property
    def etag(self) -> str:
        return f'"{self.after}-{self.last}"'


def feed_page(after: int) -> FeedPage:
    changes = list(FeedChange.objects.filter(pk__gt=after).order_by("pk")[:PAGE_SIZE])
    body = b"".join(orjson.dumps(_line(change)) + b"\n" for change in changes)
    last = changes[-1].pk if changes else after
    return FeedPage(after, last, body, sign(after, body))


def last_seq() -> int:
    latest = FeedChange.objects.order_by("-pk").values_list("pk", flat=True).first()
    return int(latest or 0)


# --- subscribing ----------------------------------------------------------------------------------


def _guarded(max_bytes: int = MAX_PAGE_BYTES) -> Http:
    """Another instance's address is someone else's choice: the one guarded transport."""
    return Http(transport=outbound.transport(), max_bytes=max_bytes)


def _base(url: str) -> str:
    """The instance's address from whatever was given (its address, or its feed's)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(
            _("'%(url)s' is not an instance address such as https://envol.example.") % {"url": url}
        )
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def subscribe(
    url: str, source: str, confidence: float = DEFAULT_CONFIDENCE, http: Http | None = None
) -> Subscription:
    """Subscribe to another instance's feed: its key is read now and pinned."""
    if not 0.0 <= confidence <= 1.0:
        raise FeedError(_("--confidence %(c)s is outside [0, 1].") % {"c": confidence})
    source = dataset_source(source)
    base = _base(url)
    try:
        document = (http or _guarded()).get_json(base + KEY_PATH)
    except GuardedError as exc:
        raise FeedError(
            _("%(url)s does not publish an envol crosswalk feed: %(error)s")
            % {"url": base, "error": exc}
        ) from None
    key = str(document.get("x", ""))
    if document.get("crv") != "Ed25519" or len(_safe_unb64(key)) != 32:
        raise FeedError(_("%(url)s publishes a key envol cannot use.") % {"url": base})
    subscription, _created = Subscription.objects.update_or_create(
        source=source,
        defaults={
            "url": base,
            "confidence": confidence,
            "public_key": key,
            "cursor": 0,
            "etag": "",
            "state": Subscription.State.ACTIVE,
            "due_at": timezone.now(),
        },
    )
    audit("sharing.subscribe", organisation=None, source=source, url=base)
    return subscription


def _safe_unb64(text: str) -> bytes:
    try:
        return _unb64(text)
    except ValueError:
        return b""


@dataclass
class PullResult:
    added: int = 0
    removed: int = 0
    pages: int = 0
    matched: int = 0

    def add(self, other: PullResult) -> None:
        self.added += other.added
        self.removed += other.removed
        self.pages += other.pages
        self.matched += other.matched


def pull_page(subscription: Subscription, http: Http | None = None) -> tuple[PullResult, bool]:
    """Read and apply the page after the subscription's cursor: what it did, and whether more
    pages follow. Applying a page twice changes nothing (imports and removals are idempotent),
    so a worker killed before the cursor moved only makes the next one read it again."""
    query = urlencode({"after": subscription.cursor})
    url = f"{subscription.url}{FEED_PATH}?{query}"
    headers = {"If-None-Match": subscription.etag} if subscription.etag else {}
    try:
        response = (http or _guarded()).get(url, headers)
    except GuardedError as exc:
        raise _failed(subscription, _("cannot be read: %(error)s") % {"error": exc}) from None
    if response.status_code == 304:
        _advance(subscription, subscription.cursor, subscription.etag)
        return PullResult(), False
    if response.status_code != 200:
        raise _failed(
            subscription, _("answered HTTP %(status)s") % {"status": response.status_code}
        )
    signature = response.headers.get(SIGNATURE_HEADER, "")
    body = response.content
    if not verify(subscription.public_key, subscription.cursor, body, signature):
        raise _failed(
            subscription,
            _(
                "is not signed by the key pinned when you subscribed: the feed was altered "
                "on the way, or the instance changed its key. Nothing was applied. If the "
                "instance did change its key, subscribe again."
            ),
        )
    changes = _parse(body, subscription.cursor)
    etag = response.headers.get("etag", "")
    if not changes:
        _advance(subscription, subscription.cursor, etag)
        return PullResult(), False
    result = _apply(subscription, changes)
    result.pages = 1
    _advance(subscription, int(changes[-1]["seq"]), etag)
    return result, len(changes) >= PAGE_SIZE


def pull_step(subscription: Subscription, step: Step) -> Outcome:
    """The subscription's job step: one page; due again at once while pages follow, else at
    the next pull. A failure is the job's `last_error`, retried with the engine's backoff."""
    try:
        result, more = pull_page(subscription)
    except FeedError as exc:
        return retry(str(exc))
    if "result" in step.context:
        step.context["result"].add(result)
    if result.pages:
        audit(
            "sharing.pull",
            organisation=None,
            source=subscription.source,
            added=result.added,
            removed=result.removed,
        )
    return again() if more else later(step.now + pull_interval())


def pull_interval() -> timedelta:
    return timedelta(minutes=settings.ENVOL_CROSSWALK_PULL_MINUTES)


def pull_now(subscription: Subscription) -> PullResult:
    """The manual trigger (`envol crosswalk pull`, `subscribe`): the subscription made due now
    and stepped here until it has read everything; a worker pulling it meanwhile keeps it."""
    from envol.jobs.runner import POLL_S, step

    now = timezone.now()
    Subscription.objects.filter(pk=subscription.pk, state=Subscription.State.ACTIVE).update(
        due_at=now
    )
    context: dict[str, Any] = {"result": PullResult()}
    for _wait in range(600):  # a worker's page in flight: at most 10 minutes
        stepped = step(subscription, context=context)
        if stepped.busy:
            time.sleep(POLL_S)
            continue
        if not stepped.ran or stepped.due_at is None or stepped.due_at > timezone.now():
            break
    subscription.refresh_from_db()
    if subscription.consecutive_errors:
        raise FeedError(subscription.last_error)
    result: PullResult = context["result"]
    return result


def _failed(subscription: Subscription, why: str) -> FeedError:
    return FeedError(_("The feed of %(url)s %(why)s") % {"url": subscription.url, "why": why})


def _advance(subscription: Subscription, cursor: int, etag: str) -> None:
    subscription.cursor = cursor
    subscription.etag = etag
    subscription.last_pulled_at = timezone.now()
    subscription.save(update_fields=["cursor", "etag", "last_pulled_at"])


def _parse(body: bytes, after: int) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    previous = after
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
            seq = int(row["seq"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise FeedError(
                _("Line %(n)d of the feed is not a change envol can read.") % {"n": number}
            ) from None
        if seq <= previous or row.get("op") not in ("add", "remove"):
            raise FeedError(_("Line %(n)d of the feed is out of order.") % {"n": number})
        previous = seq
        changes.append(row)
    return changes


def _key_of(row: dict[str, Any]) -> LinkKey | None:
    from envol.crosswalk import identifiers as ids

    try:
        x_id = ids.x_id(row["x_id"])
        if row.get("bluesky_did"):
            return (str(x_id), "bluesky", str(row["bluesky_did"]))
        if row.get("mastodon_account"):
            return (str(x_id), "mastodon", ids.mastodon_account(row["mastodon_account"]).acct)
    except (ids.InvalidIdentifier, KeyError, TypeError, ValueError):
        return None
    return None


def _apply(subscription: Subscription, changes: list[dict[str, Any]]) -> PullResult:
    """The page's net effect, each link's last change winning."""
    final: dict[LinkKey, dict[str, Any]] = {}
    for row in changes:
        key = _key_of(row)
        if key is not None:
            final[key] = row
    additions = [row for row in final.values() if row["op"] == "add"]
    removals = [key for key, row in final.items() if row["op"] == "remove"]
    result = PullResult()
    if additions:
        result.added = _import(subscription, additions)
        added_ids = _link_ids(
            subscription.source, [k for k, r in final.items() if r["op"] == "add"]
        )
        from envol.people.services import record_news

        result.matched = record_news(incremental.match_new_links(added_ids))
    if removals:
        with transaction.atomic():
            result.removed = store.forget(
                subscription.source, link_ids=_link_ids(subscription.source, removals)
            )
    return result


def _import(subscription: Subscription, rows: list[dict[str, Any]]) -> int:
    """Additions through the ordinary dataset import, at the subscription's confidence."""
    keep = ("x_id", "x_handle", "bluesky_did", "bluesky_handle", "mastodon_account", "evidence")
    with tempfile.TemporaryDirectory(prefix="envol-feed-") as folder:
        path = Path(folder) / f"{subscription.source.replace(':', '-')}.jsonl"
        with path.open("wb") as out:
            for row in rows:
                out.write(orjson.dumps({k: row[k] for k in keep if k in row}) + b"\n")
        summary = import_dataset(path, subscription.source, subscription.confidence)
    return summary.imported + summary.updated


def _link_ids(source: str, keys: Iterable[LinkKey]) -> list[int]:
    """The links `source` asserts among `keys` (by the X id index, never the whole source)."""
    wanted = set(keys)
    if not wanted:
        return []
    candidates = (
        IdentityLink.objects.filter(x_id__in=sorted({x for x, _n, _r in wanted}))
        .filter(Q(source=source) | Q(observations__source=source))
        .distinct()
    )
    return [
        pk
        for pk, x_id, network, remote_id in candidates.values_list(
            "pk", "x_id", "network", "remote_id"
        )
        if (x_id, network, remote_id) in wanted
    ]
