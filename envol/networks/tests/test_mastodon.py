"""The Mastodon adapter against the Mastodon API test server (fixtures `mastodon_server`,
`mastodon_account`), plus the OAuth helpers' own rules."""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from envol.networks.base import (
    AuthError,
    FollowRequest,
    FollowStatus,
    InvalidContent,
    Media,
    NotFound,
    PostDraft,
    ProfileUpdate,
    RateLimited,
    Transient,
    Visibility,
)
from envol.networks.http import Retrier, RetryPolicy
from envol.networks.mastodon import (
    MastodonApp,
    MastodonNetwork,
    Pkce,
    authorize_url,
    exchange_code,
    normalise_instance,
    register_app,
)
from envol.testing.mastodon_server import MastodonTestServer
from envol.testing.outbound import loopback

# --- pure rules -------------------------------------------------------------------------------


def test_pkce_challenge_is_the_s256_of_the_verifier() -> None:
    pkce = Pkce.new()
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(pkce.verifier) <= 128
    assert pkce.verifier not in repr(pkce)


def test_authorize_url_carries_state_scopes_and_challenge() -> None:
    app = MastodonApp("https://mastodon.test", "cid", "secret", "https://envol.test/callback")
    pkce = Pkce.new()
    url = authorize_url(app, state="st4te", pkce=pkce)
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert (parts.netloc, parts.path) == ("mastodon.test", "/oauth/authorize")
    assert query == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://envol.test/callback",
        "scope": "read write",
        "state": "st4te",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    assert "secret" not in url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://mastodon.social/", "https://mastodon.social"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
    ],
)
def test_instance_addresses_are_normalised(given: str, expected: str) -> None:
    assert normalise_instance(given) == expected


def test_a_next_page_on_another_host_is_never_followed() -> None:
    """The token would go with the request: a Link header must not send it elsewhere."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("verify_credentials"):
            return httpx.Response(200, json={"id": "1", "acct": "me"})
        if request.url.path == "/api/v2/instance":
            return httpx.Response(200, json={"domain": "mastodon.test"})
        return httpx.Response(
            200,
            json=[{"id": "2", "acct": "friend@elsewhere.test"}],
            headers={
                "Link": '<https://evil.test/api/v1/accounts/1/following?max_id=2>; rel="next"'
            },
        )

    network = MastodonNetwork(
        "https://mastodon.test", "token", transport=httpx.MockTransport(handler)
    )
    follows = network.list_follows()
    assert next(follows).subject == "2"
    with pytest.raises(Transient):
        next(follows)
    assert all(url.startswith("https://mastodon.test/") for url in seen)


# --- against the test server ----------------------------------------------------------------


def png(width: int, height: int) -> bytes:
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


def connect(account: Any, **options: Any) -> MastodonNetwork:
    options.setdefault("retrier", Retrier(RetryPolicy(attempts=2, base_delay_s=0.01)))
    options.setdefault("transport", loopback())
    return MastodonNetwork(account.api_base_url, account.token, **options)


@pytest.fixture
def mastodon(mastodon_account: Any) -> Iterator[MastodonNetwork]:
    network = connect(mastodon_account())
    yield network
    network.close()


@pytest.fixture
def own_server() -> Iterator[MastodonTestServer]:
    """A server of its own, for tests that change settings, budgets or the clock."""
    with MastodonTestServer.start() as server:
        yield server


def test_oauth_registration_authorization_and_code_exchange(own_server: MastodonTestServer) -> None:
    own_server.create_account("mairie")
    own_server.auto_approve("mairie")
    redirect = "http://127.0.0.1:1/callback"
    app = register_app(own_server.url, redirect, website="https://envol.test", transport=loopback())
    pkce = Pkce.new()
    reply = httpx.get(authorize_url(app, state="xyz", pkce=pkce), follow_redirects=False)
    location = urlsplit(reply.headers["location"])
    query = parse_qs(location.query)
    assert (location.path, query["state"]) == ("/callback", ["xyz"])
    token = exchange_code(app, query["code"][0], pkce=pkce, transport=loopback())
    assert (
        MastodonNetwork(own_server.url, token, transport=loopback()).whoami().handle
        == "mairie@mastodon.test"
    )
    with pytest.raises(AuthError):
        exchange_code(app, query["code"][0], pkce=pkce, transport=loopback())  # once only


def test_code_exchange_without_the_verifier_is_refused(own_server: MastodonTestServer) -> None:
    own_server.create_account("mairie")
    own_server.auto_approve("mairie")
    app = register_app(own_server.url, "http://127.0.0.1:1/callback", transport=loopback())
    reply = httpx.get(authorize_url(app, state="s", pkce=Pkce.new()), follow_redirects=False)
    code = parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]
    with pytest.raises(AuthError):
        exchange_code(app, code, pkce=Pkce.new(), transport=loopback())


def test_capabilities_come_from_the_instance(mastodon: MastodonNetwork) -> None:
    capabilities = mastodon.capabilities()
    assert capabilities.text_limit == 500
    assert capabilities.url_weight == 23
    assert capabilities.max_images == 4
    assert capabilities.alt_text_limit == 1500
    assert not capabilities.backdating
    assert mastodon.domain == "mastodon.test"


def test_whoami_and_a_bad_token(mastodon_account: Any) -> None:
    account = mastodon_account()
    me = connect(account).whoami()
    assert (me.remote_id, me.handle) == (account.id, account.address)
    with pytest.raises(AuthError):
        MastodonNetwork(account.api_base_url, "not-a-token", transport=loopback()).whoami()


def test_lookup_local_remote_and_unknown(
    mastodon: MastodonNetwork, mastodon_account: Any, mastodon_server: Any
) -> None:
    other = mastodon_account("mairie")
    by_name = mastodon.resolve(f"@{other.username}")
    assert by_name == mastodon.resolve(other.address)
    assert (by_name.remote_id, by_name.handle) == (other.id, other.address)
    remote = f"musee{secrets.token_hex(3)}@culture.example"
    mastodon_server.add_remote_account(remote, known=False)  # only WebFinger finds it
    assert mastodon.resolve(remote).handle == remote
    with pytest.raises(NotFound):
        mastodon.resolve("nobody@nowhere.example")


def test_follow_many_is_idempotent_and_listed(
    mastodon: MastodonNetwork, mastodon_account: Any, mastodon_server: Any
) -> None:
    targets = [mastodon_account("t") for _ in range(3)]
    ids = [t.id for t in targets]
    before = mastodon_server.counters.get("follows_created", 0)
    results = mastodon.follow_many([FollowRequest(i) for i in ids])
    assert [r.status for r in results] == [FollowStatus.FOLLOWED] * 3
    again = mastodon.follow_many([FollowRequest(i) for i in [*ids, "999999999"]])
    assert [r.status for r in again] == [FollowStatus.ALREADY] * 3 + [FollowStatus.NOT_FOUND]
    assert mastodon_server.counters.get("follows_created", 0) - before == 3
    assert {f.subject for f in mastodon.list_follows()} == set(ids)
    assert {f.handle for f in mastodon.list_follows()} == {t.address for t in targets}
    assert all(r.following for r in mastodon.relationships(ids).values())


def test_a_blocked_follow_is_reported_not_raised(
    mastodon: MastodonNetwork, mastodon_account: Any, mastodon_server: Any
) -> None:
    blocker = mastodon_account("b")
    mastodon_server.seed_block(blocker.address, mastodon.whoami().handle)
    (result,) = mastodon.follow_many([FollowRequest(blocker.id)])
    assert result.status == FollowStatus.BLOCKED


def test_following_is_paginated_by_link_headers(
    mastodon: MastodonNetwork, mastodon_account: Any
) -> None:
    ids = [mastodon_account("p").id for _ in range(81)]
    for start in range(0, len(ids), mastodon.capabilities().max_follow_batch):
        mastodon.follow_many([FollowRequest(i) for i in ids[start : start + 40]])
    listed = [f.subject for f in mastodon.list_follows()]
    assert sorted(listed) == sorted(ids)  # more than one page of 80, none twice


def test_status_with_cw_language_visibility_and_idempotency_key(
    mastodon: MastodonNetwork, mastodon_server: Any
) -> None:
    draft = PostDraft(
        "Fermeture exceptionnelle de la mairie 🏛️ https://ville-exemple.fr/horaires",
        content_warning="Travaux",
        langs=("fr",),
        visibility=Visibility.UNLISTED,
    )
    key = secrets.token_hex(16)
    first = mastodon.publish(draft, key)
    assert mastodon.publish(draft, key) == first  # same key, same status
    assert first.url and first.uri and first.remote_id
    (status,) = mastodon_server.statuses(mastodon.whoami().handle)
    assert (status["spoiler_text"], status["language"], status["visibility"]) == (
        "Travaux",
        "fr",
        "unlisted",
    )


def test_thread_replies_to_the_previous_part(
    mastodon: MastodonNetwork, mastodon_server: Any
) -> None:
    drafts = [PostDraft(f"Fil {n}/3") for n in (1, 2, 3)]
    parts = mastodon.publish_thread(drafts, [secrets.token_hex(8) for _ in drafts])
    statuses = mastodon_server.statuses(mastodon.whoami().handle)
    assert [s["id"] for s in statuses] == [p.remote_id for p in parts]
    assert [s["in_reply_to_id"] for s in statuses] == [None, parts[0].remote_id, parts[1].remote_id]


def test_images_carry_their_description(mastodon: MastodonNetwork, mastodon_server: Any) -> None:
    media = (
        Media(mime="image/png", alt="Plan du quartier", data=png(40, 20)),
        Media(mime="image/png", alt="Affiche", data=png(10, 10)),
    )
    mastodon.publish(PostDraft("Deux images", media=media), secrets.token_hex(8))
    (status,) = mastodon_server.statuses(mastodon.whoami().handle)
    assert [m["description"] for m in status["media_attachments"]] == [
        "Plan du quartier",
        "Affiche",
    ]


def test_a_video_is_attached_once_processed(own_server: MastodonTestServer) -> None:
    """v2 answers 202, then 206 while processing: the adapter polls (on the server's clock)."""
    _account, token = own_server.create_account("mairie")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        own_server.advance_clock(seconds)

    mastodon = MastodonNetwork(own_server.url, token, sleep=sleep, transport=loopback())
    video = Media(mime="video/mp4", alt="Discours du maire", data=b"\x00\x00\x00\x18ftypmp42")
    mastodon.publish(PostDraft("Vidéo", media=(video,)), secrets.token_hex(8))
    (status,) = own_server.statuses("mairie")
    assert status["media_attachments"][0]["description"] == "Discours du maire"
    assert 2 <= len(waits) <= 4  # processing takes 2 s on the server clock


def test_refused_content_is_caught_before_sending(mastodon: MastodonNetwork) -> None:
    with pytest.raises(InvalidContent) as caught:
        mastodon.publish(PostDraft("a" * 490, content_warning="b" * 11), "k1")
    assert caught.value.reason == "text_too_long"
    with pytest.raises(InvalidContent) as caught:
        mastodon.publish(PostDraft("Archive", created_at=datetime(2015, 1, 1, tzinfo=UTC)), "k2")
    assert caught.value.reason == "backdating_unsupported"


def test_the_server_validation_error_is_invalid_content(own_server: MastodonTestServer) -> None:
    """If the instance lowered its limit after we read it, its 422 still comes back clearly."""
    _account, token = own_server.create_account("mairie")
    mastodon = MastodonNetwork(own_server.url, token, transport=loopback())
    mastodon.capabilities()
    own_server.set_max_characters(10)
    with pytest.raises(InvalidContent):
        mastodon.publish(PostDraft("Plus de dix caractères"), secrets.token_hex(8))


def test_delete_and_delete_again(mastodon: MastodonNetwork, mastodon_server: Any) -> None:
    publication = mastodon.publish(PostDraft("À supprimer"), secrets.token_hex(8))
    mastodon.delete(publication)
    mastodon.delete(publication)
    assert mastodon_server.statuses(mastodon.whoami().handle) == []


def test_metrics_and_profile(mastodon: MastodonNetwork) -> None:
    publication = mastodon.publish(PostDraft("Compté"), secrets.token_hex(8))
    (metrics,) = mastodon.post_metrics([publication])
    assert (metrics.likes, metrics.reposts, metrics.replies) == (0, 0, 0)
    mastodon.update_profile(
        ProfileUpdate(display_name="Ville d'Exemple", website="https://ville-exemple.fr")
    )
    me = mastodon.whoami()
    assert me.display_name == "Ville d'Exemple"
    account = mastodon._json("GET", "/api/v1/accounts/verify_credentials", retry_safe=True)
    assert account["source"]["fields"][0]["value"] == "https://ville-exemple.fr"
    assert mastodon.account_metrics().posts == 1


def test_rate_headers_feed_the_budget_and_429_is_rate_limited(
    own_server: MastodonTestServer,
) -> None:
    _account, token = own_server.create_account("mairie")
    own_server.set_budget("api", 5, 300)
    own_server.start_window(300)  # the count must not straddle two windows
    mastodon = MastodonNetwork(own_server.url, token, clock=own_server.now, transport=loopback())
    mastodon.whoami()
    budget = mastodon.rate_budget("request")
    assert budget.available() < 5
    with pytest.raises(RateLimited) as caught:
        for _ in range(10):
            mastodon.whoami()
    assert caught.value.reset_at > own_server.now()
    assert 0 < caught.value.retry_after <= 300
    assert budget.available() == 0
    assert budget.plan(cost=1, max_items=1).not_before >= caught.value.reset_at


def test_follows_cut_short_by_a_429_report_what_was_done(
    own_server: MastodonTestServer,
) -> None:
    _account, token = own_server.create_account("mairie")
    ids = [own_server.create_account(f"cible{n}")[0]["id"] for n in range(6)]
    own_server.start_window(300)  # the count must not straddle two windows
    mastodon = MastodonNetwork(own_server.url, token, clock=own_server.now, transport=loopback())
    mastodon.capabilities()
    own_server.set_budget("api", 5, 300)  # instance, relationships, 3 follows, then 429
    with pytest.raises(RateLimited) as caught:
        mastodon.follow_many([FollowRequest(i) for i in ids])
    done = [r.subject for r in caught.value.completed]
    assert done == ids[: len(done)] and len(done) == 3
    assert sorted(own_server.following("mairie")) == [f"cible{n}" for n in range(3)]
