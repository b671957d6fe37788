"""The Mastodon test server speaks the documented API well enough for the real client library.

Driven with Mastodon.py (what envol's adapter uses) and with raw httpx where headers matter.
Tests that move the clock or change budgets start their own server; the others share one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonUnauthorizedError,
)

from envol.networks.text import TextRules, count, fits
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.mastodon import MastodonTestServer
from envol.testing.mastodon.text_length import countable_length

REDIRECT = "http://127.0.0.1:9/callback"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


def client(account: MastodonAccount, **options: object) -> Mastodon:
    return Mastodon(access_token=account.token, api_base_url=account.api_base_url, **options)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def own_server() -> Iterator[MastodonTestServer]:
    with MastodonTestServer.start("own.test") as server:
        yield server


def account_on(server: MastodonTestServer, username: str) -> MastodonAccount:
    account, token = server.create_account(username)
    return MastodonAccount(account["id"], username, token, server.url, server.domain, account)


# OAuth


def test_app_registration_and_code_flow_with_mastodon_py(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    alice = mastodon_account("alice")
    client_id, client_secret = Mastodon.create_app(
        "envol", redirect_uris=REDIRECT, api_base_url=mastodon_server.url
    )
    app = Mastodon(
        client_id=client_id, client_secret=client_secret, api_base_url=mastodon_server.url
    )
    authorize_url = app.auth_request_url(redirect_uris=REDIRECT, state="s1", allow_http=True)

    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "<form" in page.text
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    approved = httpx.post(
        f"{mastodon_server.url}/oauth/authorize", data={**form, "username": alice.username}
    )
    assert approved.status_code == 302
    location = urlsplit(approved.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]

    app.log_in(code=query["code"][0], redirect_uri=REDIRECT, allow_http=True)
    assert app.account_verify_credentials()["username"] == alice.username
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):  # a code works once
        app.log_in(code=query["code"][0], redirect_uri=REDIRECT, allow_http=True)

    app.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        Mastodon(access_token=app.access_token or "gone", api_base_url=mastodon_server.url).me()


def test_pkce_and_client_credentials_with_raw_http(own_server: MastodonTestServer) -> None:
    carol = account_on(own_server, "carol")
    own_server.auto_approve(carol.username)
    registered = httpx.post(
        f"{own_server.url}/api/v1/apps",
        json={"client_name": "envol", "redirect_uris": [REDIRECT], "scopes": "read write"},
    ).json()
    assert registered["redirect_uris"] == [REDIRECT] and registered["client_secret_expires_at"] == 0
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    authorized = httpx.get(
        f"{own_server.url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": registered["client_id"],
            "redirect_uri": REDIRECT,
            "scope": "read write",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        },
    )
    code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": registered["client_id"],
        "client_secret": registered["client_secret"],
        "redirect_uri": REDIRECT,
    }
    for wrong in ({}, {"code_verifier": "w" * 64}):
        refused = httpx.post(f"{own_server.url}/oauth/token", data={**form, **wrong})
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    token = httpx.post(f"{own_server.url}/oauth/token", data={**form, "code_verifier": verifier})
    assert token.status_code == 200 and token.json()["scope"] == "read write"
    me = httpx.get(
        f"{own_server.url}/api/v1/accounts/verify_credentials",
        headers=bearer(token.json()["access_token"]),
    )
    assert me.json()["username"] == "carol"

    app_token = httpx.post(
        f"{own_server.url}/oauth/token",
        data={**form, "grant_type": "client_credentials", "scope": "read"},
    ).json()["access_token"]
    no_user = httpx.get(
        f"{own_server.url}/api/v1/accounts/verify_credentials", headers=bearer(app_token)
    )
    assert no_user.status_code == 422
    assert no_user.json() == {"error": "This method requires an authenticated user"}
    assert (
        httpx.get(
            f"{own_server.url}/api/v1/apps/verify_credentials", headers=bearer(app_token)
        ).json()["name"]
        == "envol"
    )
    invalid = httpx.get(f"{own_server.url}/api/v1/accounts/verify_credentials", headers=bearer("x"))
    assert invalid.status_code == 401 and invalid.json() == {"error": "The access token is invalid"}


# Accounts, search, follows


def test_lookup_needs_a_known_account_and_search_resolves_the_directory(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    me = client(mastodon_account())
    mastodon_server.add_remote_account("ada@lovelace.example", display_name="Ada")
    with pytest.raises(MastodonNotFoundError):
        me.account_lookup("ada@lovelace.example")  # no WebFinger here
    assert (
        me.search_v2("ada@lovelace.example", resolve=False, result_type="accounts").accounts == []
    )

    anonymous = httpx.get(
        f"{mastodon_server.url}/api/v2/search",
        params={"q": "ada@lovelace.example", "resolve": "true"},
    )
    assert anonymous.status_code == 401

    found = me.search_v2("@ada@lovelace.example", resolve=True, result_type="accounts").accounts
    assert [a.acct for a in found] == ["ada@lovelace.example"]
    assert me.account_lookup("@ada@lovelace.example").id == found[0].id
    assert me.search_v2("nobody@nowhere.example", resolve=True).accounts == []
    local = mastodon_account("lookup")
    assert me.account_lookup(f"{local.username}@{local.domain}").id == local.id
    assert me.account(local.id).username == local.username


def test_following_twice_applies_one_follow_and_blocks_refuse(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    me, them = mastodon_account(), mastodon_account()
    api = client(me)
    before = mastodon_server.counters.get("follows_created", 0)
    first = api.account_follow(them.id)
    second = api.account_follow(them.id)
    assert first.following and second.following
    assert mastodon_server.counters["follows_created"] == before + 1
    assert mastodon_server.following(me.username) == [them.username]
    assert api.account_relationships([them.id])[0].following

    locked = mastodon_account(locked=True)
    assert api.account_follow(locked.id).requested

    blocker = mastodon_account()
    mastodon_server.seed_block(blocker.username, me.username)
    refused = httpx.post(
        f"{mastodon_server.url}/api/v1/accounts/{blocker.id}/follow", headers=bearer(me.token)
    )
    assert refused.status_code == 403 and refused.json() == {"error": "This action is not allowed"}
    unfollowed = api.account_unfollow(them.id)
    assert not unfollowed.following


def test_link_pagination_walks_100_followed_accounts(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    me = mastodon_account()
    followed = [mastodon_account("page") for _ in range(100)]
    for account in followed:
        mastodon_server.seed_follow(me.username, account.username)
    api = client(me)

    seen, page = [], api.account_following(me.id)
    while page:
        seen.extend(a.id for a in page)
        page = api.fetch_next(page)
    assert seen == [a.id for a in reversed(followed)]  # newest follow first, none twice

    first = httpx.get(f"{mastodon_server.url}/api/v1/accounts/{me.id}/following")
    assert len(first.json()) == 40
    assert 'rel="next"' in first.headers["link"] and 'rel="prev"' in first.headers["link"]
    capped = httpx.get(
        f"{mastodon_server.url}/api/v1/accounts/{me.id}/following", params={"limit": 500}
    )
    assert len(capped.json()) == 80
    newer = httpx.get(first.links["prev"]["url"])
    assert newer.json() == []


# Statuses


def test_idempotency_key_returns_the_same_status_for_an_hour(
    own_server: MastodonTestServer,
) -> None:
    api = client(account_on(own_server, "poster"))
    first = api.status_post("Bonjour", idempotency_key="k-1")
    again = api.status_post("Bonjour", idempotency_key="k-1")
    assert again.id == first.id and own_server.counters["statuses_created"] == 1
    own_server.advance_clock(3601)
    later = api.status_post("Bonjour", idempotency_key="k-1")
    assert later.id != first.id and own_server.counters["statuses_created"] == 2


def test_too_long_status_is_refused_with_mastodons_message(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    me = mastodon_account()
    api = client(me)
    assert api.status_post("é" * 500).id
    refused = httpx.post(
        f"{mastodon_server.url}/api/v1/statuses",
        headers=bearer(me.token),
        data={"status": "a" * 501},
    )
    assert refused.status_code == 422
    assert refused.json() == {"error": "Validation failed: Text character limit of 500 exceeded"}
    long_url = "https://example.org/" + "x" * 200
    assert api.status_post("b" * 470 + " " + long_url).id  # the URL counts 23
    assert api.status_post("c" * 470 + " @someone@a-very-long-domain-name.example").id
    with pytest.raises(MastodonAPIError):
        api.status_post("d" * 400, spoiler_text="e" * 101)


def test_status_length_counts_like_mastodon() -> None:
    assert countable_length("https://example.org/a/very/long/path?q=1") == 23
    assert countable_length("@alice@social.example hi") == len("@alice hi")
    assert countable_length("👩‍👩‍👧‍👦") == 1
    assert countable_length("   ", "CW") == 2
    assert countable_length("see (https://en.wikipedia.org/wiki/Foo_(bar)).") == len("see ().") + 23


def test_scheduled_status_needs_five_minutes_and_is_published_later(
    own_server: MastodonTestServer,
) -> None:
    me = account_on(own_server, "scheduler")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    refused = httpx.post(
        f"{own_server.url}/api/v1/statuses",
        headers=bearer(me.token),
        data={"status": "plus tard", "scheduled_at": soon.isoformat()},
    )
    assert refused.json() == {"error": "Validation failed: Scheduled at date must be in the future"}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    scheduled = client(me).status_post("plus tard", scheduled_at=later)
    assert scheduled.params.text == "plus tard" and own_server.statuses(me.username) == []
    own_server.advance_clock(11 * 60)
    assert [s["content"] for s in own_server.statuses(me.username)] == ["<p>plus tard</p>"]


def test_delete_returns_the_source_then_404(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    api = client(mastodon_account())
    posted = api.status_post("à effacer")
    deleted = api.status_delete(posted.id)
    assert deleted.text == "à effacer"
    with pytest.raises(MastodonNotFoundError):
        api.status(posted.id)


# Media


def test_image_with_description_then_video_processed_asynchronously(
    own_server: MastodonTestServer,
) -> None:
    me = account_on(own_server, "photographer")
    api = client(me)
    image = api.media_post(PNG, mime_type="image/png", description="Un pixel")
    assert image.url and image.description == "Un pixel"
    status = api.status_post("Photo", media_ids=[image.id])
    assert status.media_attachments[0].description == "Un pixel"

    too_long = httpx.post(
        f"{own_server.url}/api/v2/media",
        headers=bearer(me.token),
        files={"file": ("a.png", PNG, "image/png")},
        data={"description": "x" * 1501},
    )
    assert too_long.status_code == 422
    assert "Description is too long (maximum is 1500 characters)" in too_long.json()["error"]

    video = httpx.post(
        f"{own_server.url}/api/v2/media",
        headers=bearer(me.token),
        files={"file": ("v.mp4", b"\x00" * 2048, "video/mp4")},
    )
    assert video.status_code == 202 and video.json()["url"] is None
    media_url = f"{own_server.url}/api/v1/media/{video.json()['id']}"
    assert httpx.get(media_url, headers=bearer(me.token)).status_code == 206
    not_ready = api_error(lambda: api.status_post("Vidéo", media_ids=[video.json()["id"]]))
    assert "not finished processing" in str(not_ready)
    own_server.advance_clock(5)
    assert httpx.get(media_url, headers=bearer(me.token)).status_code == 200
    updated = httpx.put(media_url, headers=bearer(me.token), data={"description": "Une vidéo"})
    assert updated.json()["description"] == "Une vidéo"


def api_error(action: Callable[[], object]) -> MastodonAPIError:
    with pytest.raises(MastodonAPIError) as caught:
        action()
    return caught.value


# Profile


def test_profile_fields_verify_when_the_page_links_back(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    me = mastodon_account()
    profile_url = f"https://{mastodon_server.domain}/@{me.username}"
    mastodon_server.add_rel_me_page("https://ville.example", profile_url)
    updated = client(me).account_update_credentials(
        display_name="Ville",
        fields=[("Site", "https://ville.example"), ("Autre", "https://x.example")],
    )
    assert updated.display_name == "Ville"
    assert updated.fields[0].verified_at is not None and updated.fields[1].verified_at is None


# Rate limits


def test_429_and_rate_limit_headers_after_a_small_budget(own_server: MastodonTestServer) -> None:
    me = account_on(own_server, "hasty")
    own_server.set_budget("api", 3)
    own_server.start_window(300)  # the count below must not straddle two windows
    url = f"{own_server.url}/api/v1/accounts/verify_credentials"
    remaining = [
        httpx.get(url, headers=bearer(me.token)).headers["x-ratelimit-remaining"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    refused = httpx.get(url, headers=bearer(me.token))
    assert refused.status_code == 429 and refused.json() == {"error": "Too many requests"}
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    reset = dt.datetime.fromisoformat(refused.headers["x-ratelimit-reset"].replace("Z", "+00:00"))
    assert reset > own_server.now()
    with pytest.raises(MastodonRatelimitError):
        client(me, ratelimit_method="throw").me()
    own_server.advance_clock(300)
    assert httpx.get(url, headers=bearer(me.token)).status_code == 200


def test_follow_budget_counts_only_new_follows(own_server: MastodonTestServer) -> None:
    me = account_on(own_server, "follower")
    targets = [account_on(own_server, f"target{i}") for i in range(3)]
    own_server.set_budget("follows", 2)
    own_server.start_window(24 * 3600)  # the day's window must not end during the test
    api = client(me, ratelimit_method="throw")
    api.account_follow(targets[0].id)
    api.account_follow(targets[0].id)  # already followed: not counted
    api.account_follow(targets[1].id)
    refused = httpx.post(
        f"{own_server.url}/api/v1/accounts/{targets[2].id}/follow", headers=bearer(me.token)
    )
    assert refused.status_code == 429 and refused.headers["x-ratelimit-limit"] == "2"
    assert own_server.following(me.username) == ["target0", "target1"]


# Persistence


def test_state_survives_a_restart(tmp_path: pytest.TempPathFactory) -> None:
    state = tmp_path / "mastodon.json"  # type: ignore[operator]
    with MastodonTestServer.start(state_path=state) as server:
        _, token = server.create_account("persistent")
        client_status = Mastodon(access_token=token, api_base_url=server.url).status_post("Reste")
    with MastodonTestServer.start(state_path=state) as again:
        api = Mastodon(access_token=token, api_base_url=again.url)
        assert api.me().username == "persistent"
        assert api.status(client_status.id).content == "<p>Reste</p>"


# Cross-check with the client-side rules (envol.networks.text), written independently

CROSS_CHECK_POSTS = [
    ("Bonjour à tous ! Nous quittons X. Retrouvez-nous ici.", ""),
    ("Lisez https://www.service-public.fr/particuliers/vosdroits/F1234?lang=fr, merci.", ""),
    ("Avec @mairie@mastodon.social et @prefecture@social.gouv.fr 🇫🇷👩‍👩‍👧", ""),
    ("Le dossier (https://fr.wikipedia.org/wiki/Paris_(France)) est en ligne.", "Long fil"),
    ("É" * 480 + " https://example.org/" + "x" * 300, ""),
]


@pytest.mark.parametrize(("text", "spoiler"), CROSS_CHECK_POSTS)
def test_server_and_client_count_the_same(text: str, spoiler: str) -> None:
    assert count(text, TextRules.mastodon(), spoiler) == countable_length(text, spoiler)


def test_what_the_client_says_fits_the_server_accepts(
    mastodon_server: MastodonTestServer, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    api = client(mastodon_account())
    at_limit = "a" * 450 + " https://example.org/" + "z" * 60 + " " + "b" * 25
    over = at_limit + "c"
    assert fits(at_limit, TextRules.mastodon()) and not fits(over, TextRules.mastodon())
    assert api.status_post(at_limit).id
    with pytest.raises(MastodonAPIError, match="character limit of 500 exceeded"):
        api.status_post(over)
