"""The Bluesky adapter against a real PDS (fixtures `pds`, `pds_account`, `pds_rate_limited`)."""

from __future__ import annotations

import secrets
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from envol.networks.base import (
    AuthError,
    FollowRequest,
    FollowStatus,
    InvalidContent,
    LinkCard,
    Media,
    NotFound,
    PostDraft,
    ProfileUpdate,
    RateLimited,
    Transient,
    Unsupported,
)
from envol.networks.bluesky import (
    BlueskyConfig,
    BlueskyNetwork,
    BlueskySession,
    HandleLookups,
    TidClock,
    is_tid,
    new_tid,
    resolve_handle_locally,
)
from envol.networks.http import Retrier, RetryPolicy
from envol.networks.ssrf import GuardedTransport
from envol.testing.outbound import loopback

NO_LOOKUPS = HandleLookups(txt=lambda name: [], well_known=lambda url: None)


class CountingTransport(GuardedTransport):
    """The real (guarded) transport, remembering which XRPC methods were called."""

    def __init__(self) -> None:
        super().__init__(allow_private=True)
        self.calls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path.rsplit("/", 1)[-1])
        return super().handle_request(request)


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def strong_ref(ref: dict[str, str]) -> tuple[str, str]:
    return ref["uri"], ref["cid"]


def random_did() -> str:
    return "did:plc:" + "".join(
        secrets.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(24)
    )


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
def bluesky(pds: Any, pds_account: Any, transport: CountingTransport) -> Iterator[BlueskyNetwork]:
    yield BlueskyNetwork.login(
        BlueskyConfig(service=pds.url),
        pds_account.handle,
        pds_account.password,
        transport=transport,
        lookups=NO_LOOKUPS,
        retrier=Retrier(RetryPolicy(attempts=3, base_delay_s=0.01)),
    )


# --- record keys and local handle resolution (no server) -----------------------------------------


def test_tids_are_valid_and_strictly_increasing() -> None:
    clock = TidClock(clock_id=7)
    keys = [clock.next(now_us=1_700_000_000_000_000) for _ in range(500)]
    assert all(is_tid(key) for key in keys)
    assert keys == sorted(keys)
    assert len(set(keys)) == 500
    assert is_tid(new_tid())
    assert not is_tid("self") and not is_tid("3jzfcijpj2z2aa")


DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def test_domain_handle_by_dns_then_https() -> None:
    by_dns = HandleLookups(txt=lambda name: [f"did={DID}"], well_known=lambda url: None)
    assert resolve_handle_locally("ville-exemple.fr", by_dns) == DID
    asked: list[str] = []

    def well_known(url: str) -> str | None:
        asked.append(url)
        return f"{DID}\n"

    by_https = HandleLookups(txt=lambda name: ["v=spf1 -all"], well_known=well_known)
    assert resolve_handle_locally("ville-exemple.fr", by_https) == DID
    assert asked == ["https://ville-exemple.fr/.well-known/atproto-did"]


def test_conflicting_or_malformed_answers_resolve_to_nothing() -> None:
    conflicting = HandleLookups(
        txt=lambda name: [f"did={DID}", "did=did:plc:other"], well_known=lambda url: "<html>"
    )
    assert resolve_handle_locally("ville-exemple.fr", conflicting) is None


# --- sessions ---------------------------------------------------------------------------------


@pytest.mark.pds
def test_login_export_and_resume_session(pds: Any, pds_account: Any) -> None:
    config = BlueskyConfig(service=pds.url)
    network = BlueskyNetwork.login(
        config, "@" + pds_account.handle, pds_account.password, transport=loopback()
    )
    me = network.whoami()
    assert (me.remote_id, me.handle) == (pds_account.did, pds_account.handle)
    exported = network.export_session()
    assert pds_account.password not in exported
    resumed = BlueskyNetwork(config, BlueskySession.load(exported), transport=loopback())
    assert resumed.whoami().remote_id == pds_account.did

    saved: list[BlueskySession] = []
    refreshing = BlueskyNetwork(
        config,
        BlueskySession.load(exported),
        on_session_change=saved.append,
        transport=loopback(),
    )
    refreshing.refresh_session()
    assert len(saved) == 1 and saved[0].refresh_jwt != BlueskySession.load(exported).refresh_jwt
    assert refreshing.whoami().remote_id == pds_account.did


@pytest.mark.pds
def test_wrong_password_is_an_auth_error(pds: Any, pds_account: Any) -> None:
    with pytest.raises(AuthError):
        BlueskyNetwork.login(
            BlueskyConfig(service=pds.url),
            pds_account.handle,
            "wrong-password",
            transport=loopback(),
        )


@pytest.mark.pds
def test_unreadable_stored_session_asks_to_reconnect(pds: Any) -> None:
    with pytest.raises(AuthError):
        BlueskyNetwork(
            BlueskyConfig(service=pds.url), BlueskySession.load("{not json"), transport=loopback()
        )


# --- identities -------------------------------------------------------------------------------


@pytest.mark.pds
def test_resolve_handles_through_the_pds(bluesky: BlueskyNetwork, pds: Any) -> None:
    other = pds.create_account()
    found = bluesky.resolve("@" + other.handle.upper())
    assert (found.remote_id, found.handle) == (other.did, other.handle)
    assert found.url.endswith(f"/profile/{other.handle}")
    with pytest.raises(NotFound):
        bluesky.resolve("nobody-here.test")
    with pytest.raises(NotFound):
        bluesky.resolve("not a handle")


# --- follows ----------------------------------------------------------------------------------


@pytest.mark.pds
def test_follow_many_in_batches_of_200_exactly_once(
    bluesky: BlueskyNetwork, transport: CountingTransport
) -> None:
    requests = [FollowRequest(random_did(), new_tid()) for _ in range(450)]
    transport.calls.clear()
    results = []
    for start in range(0, len(requests), bluesky.capabilities().max_follow_batch):
        results += bluesky.follow_many(requests[start : start + 200])
    assert transport.calls.count("com.atproto.repo.applyWrites") == 3
    assert [r.status for r in results] == [FollowStatus.FOLLOWED] * 450
    assert results[0].uri == f"at://{bluesky.did}/app.bsky.graph.follow/{requests[0].key}"

    follows = list(bluesky.list_follows())
    assert {(f.subject, f.key) for f in follows} == {(r.subject, r.key) for r in requests}
    assert bluesky.get_follow(requests[7].key) is not None
    assert bluesky.get_follow(new_tid()) is None

    # A worker died after sending a batch: the same keys again find the records, add none.
    again = bluesky.follow_many(requests[:200])
    assert [r.status for r in again] == [FollowStatus.FOLLOWED] * 200
    assert len(list(bluesky.list_follows())) == 450


@pytest.mark.pds
def test_follow_of_a_non_did_fails_alone(bluesky: BlueskyNetwork) -> None:
    good = FollowRequest(random_did(), new_tid())
    results = bluesky.follow_many([FollowRequest("@someone", new_tid()), good])
    assert [r.status for r in results] == [FollowStatus.FAILED, FollowStatus.FOLLOWED]
    with pytest.raises(ValueError, match="TID"):
        bluesky.follow_many([FollowRequest(random_did(), "not-a-tid")])


# --- posts ------------------------------------------------------------------------------------


@pytest.mark.pds
def test_post_with_facets_langs_and_backdating(bluesky: BlueskyNetwork, pds: Any) -> None:
    friend = pds.create_account()
    body = (
        f"Événement à la mairie 🎉 https://ville-exemple.fr/agenda avec @{friend.handle} #Culture"
    )
    written = datetime(2015, 3, 14, 9, 26, 53, tzinfo=UTC)
    key = new_tid()
    publication = bluesky.publish(PostDraft(body, langs=("fr",), created_at=written), key)
    assert publication.uri == f"at://{bluesky.did}/app.bsky.feed.post/{key}"
    assert publication.cid and publication.url.endswith(f"/post/{key}")
    record = bluesky.get_post(key)
    assert record is not None
    assert record["createdAt"] == "2015-03-14T09:26:53.000Z"
    assert record["langs"] == ["fr"]
    encoded = body.encode()
    spans = {
        facet["features"][0]["$type"].rsplit("#", 1)[1]: encoded[
            facet["index"]["byteStart"] : facet["index"]["byteEnd"]
        ].decode()
        for facet in record["facets"]
    }
    assert spans == {
        "link": "https://ville-exemple.fr/agenda",
        "mention": f"@{friend.handle}",
        "tag": "#Culture",
    }
    mention = next(f for f in record["facets"] if f["features"][0]["$type"].endswith("#mention"))
    assert mention["features"][0]["did"] == friend.did


@pytest.mark.pds
def test_thread_is_chained_and_idempotent(bluesky: BlueskyNetwork) -> None:
    drafts = [PostDraft(f"Partie {n}/3") for n in (1, 2, 3)]
    keys = [new_tid() for _ in drafts]
    first, second, third = bluesky.publish_thread(drafts, keys)
    for part, parent in ((second, first), (third, second)):
        record = bluesky.get_post(part.remote_id)
        assert record is not None
        assert strong_ref(record["reply"]["root"]) == (first.uri, first.cid)
        assert strong_ref(record["reply"]["parent"]) == (parent.uri, parent.cid)
    assert bluesky.publish_thread(drafts, keys) == [first, second, third]
    posts = list(bluesky._list_records("app.bsky.feed.post"))
    assert len(posts) == 3


@pytest.mark.pds
def test_images_with_alt_text_and_aspect_ratio(bluesky: BlueskyNetwork) -> None:
    media = (
        Media(mime="image/png", alt="Plan du quartier", data=png(40, 20), aspect_ratio=(40, 20)),
        Media(mime="image/png", alt="Affiche du concert", data=png(10, 30)),
    )
    key = new_tid()
    bluesky.publish(PostDraft("Deux images", media=media), key)
    record = bluesky.get_post(key)
    assert record is not None
    images = record["embed"]["images"]
    assert [image["alt"] for image in images] == ["Plan du quartier", "Affiche du concert"]
    assert (images[0]["aspectRatio"]["width"], images[0]["aspectRatio"]["height"]) == (40, 20)
    assert images[0]["image"]["mimeType"] == "image/png"
    assert images[0]["image"]["ref"]["$link"]


@pytest.mark.pds
def test_link_card_with_thumbnail(bluesky: BlueskyNetwork) -> None:
    card = LinkCard(
        uri="https://ville-exemple.fr/agenda",
        title="Agenda",
        description="Les événements du mois",
        thumb=png(8, 8),
        thumb_mime="image/png",
    )
    key = new_tid()
    bluesky.publish(PostDraft("Notre agenda https://ville-exemple.fr/agenda", link_card=card), key)
    record = bluesky.get_post(key)
    assert record is not None
    external = record["embed"]["external"]
    assert (external["uri"], external["title"]) == (card.uri, "Agenda")
    assert external["thumb"]["mimeType"] == "image/png"


@pytest.mark.pds
def test_content_the_pds_would_refuse_is_refused_first(
    bluesky: BlueskyNetwork, transport: CountingTransport
) -> None:
    transport.calls.clear()
    with pytest.raises(InvalidContent) as caught:
        bluesky.publish(PostDraft("é" * 301), new_tid())
    assert caught.value.reason == "text_too_long"
    with pytest.raises(InvalidContent) as caught:
        bluesky.publish(PostDraft("Attention", content_warning="spoiler"), new_tid())
    assert caught.value.reason == "content_warning_unsupported"
    image = Media(mime="image/png", alt="x", data=png(2, 2))
    with pytest.raises(InvalidContent) as caught:
        bluesky.publish(PostDraft("Cinq", media=(image,) * 5), new_tid())
    assert caught.value.reason == "too_many_images"
    assert transport.calls == []


@pytest.mark.pds
def test_delete_is_idempotent(bluesky: BlueskyNetwork) -> None:
    key = new_tid()
    publication = bluesky.publish(PostDraft("À supprimer"), key)
    bluesky.delete(publication)
    assert bluesky.get_post(key) is None
    bluesky.delete(publication)


@pytest.mark.pds
def test_profile_update_keeps_other_fields(bluesky: BlueskyNetwork) -> None:
    bluesky.update_profile(ProfileUpdate(display_name="Ville d'Exemple"))
    bluesky.update_profile(ProfileUpdate(description="Compte officiel"))
    record = bluesky._get_record("app.bsky.actor.profile", "self")
    assert record is not None
    assert (record[2]["displayName"], record[2]["description"]) == (
        "Ville d'Exemple",
        "Compte officiel",
    )


@pytest.mark.pds
def test_metrics_without_an_appview_are_unsupported(bluesky: BlueskyNetwork) -> None:
    with pytest.raises(Unsupported):
        bluesky.account_metrics()
    with pytest.raises(Unsupported):
        bluesky.post_metrics([])


@pytest.mark.pds
def test_unreachable_server_is_transient_after_retries(pds_account: Any) -> None:
    with pytest.raises(Transient):
        BlueskyNetwork.login(
            BlueskyConfig(service="http://127.0.0.1:9", timeout_s=1),
            pds_account.handle,
            pds_account.password,
            transport=loopback(),
        )


# --- rate limits ------------------------------------------------------------------------------


@pytest.mark.pds
@pytest.mark.slow  # 8 full batches before the 429: ~6 s
def test_429_raises_rate_limited_with_the_reset_time(pds_rate_limited: Any) -> None:
    account = pds_rate_limited.create_account()
    bluesky = BlueskyNetwork.login(
        BlueskyConfig(service=pds_rate_limited.url),
        account.handle,
        account.password,
        transport=loopback(),
    )
    budget = bluesky.rate_budget("write")
    batches = 0
    with pytest.raises(RateLimited) as caught:
        while batches < 20:
            bluesky.follow_many([FollowRequest(random_did(), new_tid()) for _ in range(200)])
            batches += 1
    assert batches == 8  # 8 × 200 creates × 3 points = 4,800 of the 5,000 points an hour
    now = datetime.now(UTC)
    assert now < caught.value.reset_at <= now + timedelta(hours=1, seconds=5)
    assert caught.value.retry_after > 0
    assert budget.available() == 0
    assert budget.plan(cost=3, max_items=200).not_before >= caught.value.reset_at
