"""The Mastodon test server counts as Mastodon does: statuses, followers, follows, the last
status's date, favourites, boosts and replies, and lists an account's statuses with Mastodon's
filters and Link pagination. Driven with Mastodon.py (the field's client) and raw httpx.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.mastodon import MastodonTestServer

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63606060f80f0001040100c12d8e50"
    "0000000049454e44ae426082"
)


@pytest.fixture
def server() -> Iterator[MastodonTestServer]:
    with MastodonTestServer.start("metrics.test") as started:
        yield started


def member(server: MastodonTestServer, username: str, **fields: object) -> MastodonAccount:
    account, token = server.create_account(username, **fields)
    return MastodonAccount(account["id"], username, token, server.url, server.domain, account)


def api(account: MastodonAccount) -> Mastodon:
    return Mastodon(access_token=account.token, api_base_url=account.api_base_url)


def bearer(account: MastodonAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.token}"}


# Account counters


def test_account_counters_follow_statuses_and_follows(server: MastodonTestServer) -> None:
    alice, bob, carol = (member(server, n) for n in ("alice", "bob", "carol"))
    locked = member(server, "dora", locked=True)
    assert api(alice).account(alice.id).last_status_at is None

    api(alice).status_post("Bonjour")
    api(alice).status_post("Suite", visibility="unlisted")
    api(alice).status_post("Message direct", visibility="direct")  # never counted
    last = api(alice).status_post("Abonnés", visibility="private")
    api(bob).account_follow(alice.id)
    api(carol).account_follow(alice.id)
    api(alice).account_follow(bob.id)
    api(alice).account_follow(locked.id)  # a follow request: not a follow yet

    seen = api(bob).account(alice.id)
    assert (seen.statuses_count, seen.followers_count, seen.following_count) == (3, 2, 1)
    # A date, no time (docs: entities/Account), UTC: the day of the newest status counted.
    raw = httpx.get(f"{server.url}/api/v1/accounts/{alice.id}").json()
    assert raw["last_status_at"] == last.created_at.astimezone(dt.UTC).date().isoformat()
    assert seen.last_status_at.date() == last.created_at.astimezone(dt.UTC).date()

    api(bob).account_unfollow(alice.id)
    assert api(carol).account(alice.id).followers_count == 1


def test_deleting_the_last_status_keeps_last_status_at(server: MastodonTestServer) -> None:
    """source: Account::Counters keeps last_status_at when statuses_count goes down."""
    alice = member(server, "alice")
    posted = api(alice).status_post("Éphémère")
    server.advance_clock(3 * 86400)
    api(alice).status_delete(posted.id)
    after = httpx.get(f"{server.url}/api/v1/accounts/{alice.id}").json()
    assert after["statuses_count"] == 0
    assert after["last_status_at"] == posted.created_at.astimezone(dt.UTC).date().isoformat()


def test_a_backdated_status_dates_last_status_at_by_its_own_date(
    server: MastodonTestServer,
) -> None:
    alice = member(server, "alice")
    long_ago = dt.datetime(2021, 6, 1, 12, tzinfo=dt.UTC).timestamp()
    server.seed_status("alice", "Archive", created_at=long_ago)
    account = httpx.get(f"{server.url}/api/v1/accounts/{alice.id}").json()
    assert (account["statuses_count"], account["last_status_at"]) == (1, "2021-06-01")


# Favourites


def test_favourites_count_and_favourited_by_with_mastodon_py(
    server: MastodonTestServer,
) -> None:
    author, fans = member(server, "author"), [member(server, f"fan{i}") for i in range(3)]
    status = api(author).status_post("À aimer")

    for fan in fans:
        answered = api(fan).status_favourite(status.id)
        assert answered.favourited is True
    again = api(fans[0]).status_favourite(status.id)  # idempotent

    assert again.favourites_count == 3
    assert api(author).status(status.id).favourites_count == 3
    assert api(author).status(status.id).favourited is False
    assert [a.id for a in api(author).status_favourited_by(status.id)] == [
        fan.id for fan in reversed(fans)
    ]
    undone = api(fans[1]).status_unfavourite(status.id)
    assert (undone.favourited, undone.favourites_count) == (False, 2)
    never = api(author).status_unfavourite(status.id)  # never favourited: answered as it is
    assert never.favourites_count == 2
    assert server.counters["favourites_created"] == 3


def test_favourited_by_paginates_with_link_headers(server: MastodonTestServer) -> None:
    author = member(server, "author")
    status = api(author).status_post("Populaire")
    fans = [member(server, f"fan{i}") for i in range(5)]
    for fan in fans:
        server.seed_favourite(fan.username, status.id)
    url = f"{server.url}/api/v1/statuses/{status.id}/favourited_by"

    first = httpx.get(url, params={"limit": 2})
    second = httpx.get(first.links["next"]["url"])
    third = httpx.get(second.links["next"]["url"])

    pages = [[a["id"] for a in page.json()] for page in (first, second, third)]
    assert pages == [[fans[4].id, fans[3].id], [fans[2].id, fans[1].id], [fans[0].id]]
    assert "next" not in third.links and "limit=2" in first.links["prev"]["url"]
    assert httpx.get(first.links["prev"]["url"]).json() == []


def test_a_hidden_status_cannot_be_favourited(server: MastodonTestServer) -> None:
    author, stranger = member(server, "author"), member(server, "stranger")
    private = api(author).status_post("Abonnés seulement", visibility="private")
    with pytest.raises(MastodonNotFoundError):
        api(stranger).status_favourite(private.id)
    server.seed_block("stranger", "author")
    public = api(author).status_post("Public")
    refused = httpx.post(
        f"{server.url}/api/v1/statuses/{public.id}/favourite", headers=bearer(stranger)
    )
    assert refused.status_code == 403 and refused.json() == {"error": "This action is not allowed"}


# Boosts


def test_boost_and_undo_move_reblogs_count_and_the_boosters_statuses_count(
    server: MastodonTestServer,
) -> None:
    author, booster = member(server, "author"), member(server, "booster")
    status = api(author).status_post("À partager")

    boost = api(booster).status_reblog(status.id)
    repeated = api(booster).status_reblog(status.id)
    boost_of_boost = api(booster).status_reblog(boost.id)  # boosts the original, once

    assert boost.id != status.id and boost.reblog.id == status.id
    assert repeated.id == boost.id and boost_of_boost.id == boost.id
    assert boost.content == "" and boost.uri.endswith(f"/statuses/{boost.id}/activity")
    assert (boost.reblogged, boost.reblog.reblogged, boost.reblog.reblogs_count) == (True, True, 1)
    assert api(author).account(booster.id).statuses_count == 1
    assert [a.id for a in api(author).status_reblogged_by(status.id)] == [booster.id]

    undone = api(booster).status_unreblog(status.id)
    assert (undone.id, undone.reblogged, undone.reblogs_count) == (status.id, False, 0)
    assert api(author).account(booster.id).statuses_count == 0
    with pytest.raises(MastodonNotFoundError):
        api(booster).status(boost.id)


def test_private_statuses_are_boosted_by_their_author_only(server: MastodonTestServer) -> None:
    author, follower = member(server, "author"), member(server, "follower")
    api(follower).account_follow(author.id)
    private = api(author).status_post("Entre nous", visibility="private")

    with pytest.raises(MastodonAPIError):
        api(follower).status_reblog(private.id)
    own = api(author).status_reblog(private.id, visibility="public")
    assert own.visibility == "private"  # a hidden status's boost keeps its visibility
    assert api(author).status(private.id).reblogs_count == 1
    # Boosts that are not public or unlisted are counted but not listed.
    assert api(author).status_reblogged_by(private.id) == []


def test_deleting_a_status_deletes_its_boosts_and_favourites(server: MastodonTestServer) -> None:
    author, other = member(server, "author"), member(server, "other")
    status = api(author).status_post("Bientôt effacé")
    api(other).status_reblog(status.id)
    api(other).status_favourite(status.id)
    api(author).status_delete(status.id)
    assert api(author).account(other.id).statuses_count == 0
    assert api(other).account_statuses(other.id) == []


# Replies


def test_replies_count_counts_public_and_unlisted_replies(server: MastodonTestServer) -> None:
    author, other = member(server, "author"), member(server, "other")
    api(other).account_follow(author.id)
    status = api(author).status_post("Des avis ?")
    api(other).status_post("Oui", in_reply_to_id=status.id)
    api(author).status_post("Merci", in_reply_to_id=status.id, visibility="unlisted")
    api(other).status_post("En privé", in_reply_to_id=status.id, visibility="private")
    api(other).status_post("Direct", in_reply_to_id=status.id, visibility="direct")
    assert api(author).status(status.id).replies_count == 2


# An account's statuses


def test_account_statuses_filters_as_mastodon(server: MastodonTestServer) -> None:
    me, other = member(server, "me"), member(server, "other")
    theirs = api(other).status_post("Chez l'autre")
    plain = api(me).status_post("Un billet")
    thread = api(me).status_post("2/2", in_reply_to_id=plain.id)  # a self-reply: kept
    answer = api(me).status_post("Réponse", in_reply_to_id=theirs.id)
    continued = api(me).status_post("Suite", in_reply_to_id=answer.id)  # still answers other
    picture = api(me).media_post(PNG, mime_type="image/png", description="Un pixel")
    with_media = api(me).status_post("Photo", media_ids=[picture.id])
    boost = api(me).status_reblog(theirs.id)

    def ids(**params: object) -> list[str]:
        return [s.id for s in api(other).account_statuses(me.id, **params)]

    newest_first = [boost.id, with_media.id, continued.id, answer.id, thread.id, plain.id]
    assert ids() == newest_first
    assert ids(exclude_replies=True) == [boost.id, with_media.id, thread.id, plain.id]
    assert ids(exclude_reblogs=True) == newest_first[1:]
    assert ids(only_media=True) == [with_media.id]
    assert ids(pinned=True) == []
    assert ids(limit=2) == newest_first[:2]


def test_account_statuses_show_what_the_viewer_may_see(server: MastodonTestServer) -> None:
    me, follower, stranger = (member(server, n) for n in ("me", "follower", "stranger"))
    api(follower).account_follow(me.id)
    public = api(me).status_post("Public")
    unlisted = api(me).status_post("Non listé", visibility="unlisted")
    private = api(me).status_post("Abonnés", visibility="private")
    direct = api(me).status_post("Direct", visibility="direct")
    url = f"{server.url}/api/v1/accounts/{me.id}/statuses"

    def ids(viewer: MastodonAccount | None) -> list[str]:
        headers = bearer(viewer) if viewer else {}
        return [s["id"] for s in httpx.get(url, headers=headers).json()]

    assert ids(None) == ids(stranger) == [unlisted.id, public.id]
    assert ids(follower) == [private.id, unlisted.id, public.id]
    assert ids(me) == [direct.id, private.id, unlisted.id, public.id]
    server.seed_block("me", "stranger")
    assert ids(stranger) == []
    anonymous = httpx.get(url).json()[0]
    assert "favourited" not in anonymous and "pinned" not in anonymous
    own = {s["id"]: s for s in httpx.get(url, headers=bearer(me)).json()}
    assert own[public.id]["pinned"] is False and own[public.id]["favourited"] is False
    assert "pinned" not in own[direct.id]  # only public, unlisted and private ones are pinnable


def test_account_statuses_paginate_with_link_max_id_and_min_id(
    server: MastodonTestServer,
) -> None:
    me = member(server, "me")
    posted = [server.seed_status("me", f"n°{i}")["id"] for i in range(45)]
    client = api(me)

    first = client.account_statuses(me.id, limit=100, exclude_reblogs=True)
    assert len(first) == 40  # Max 40 statuses (docs: methods/accounts#statuses)
    walked = [s.id for s in first]
    page = client.fetch_next(first)
    while page:
        walked += [s.id for s in page]
        page = client.fetch_next(page)
    assert walked == list(reversed(posted))

    response = httpx.get(
        f"{server.url}/api/v1/accounts/{me.id}/statuses",
        params={"limit": 10, "exclude_reblogs": "true"},
    )
    assert "exclude_reblogs=true" in response.links["next"]["url"]
    assert "max_id=" + posted[35] in response.links["next"]["url"]
    assert "min_id=" + posted[44] in response.links["prev"]["url"]
    newer = httpx.get(
        f"{server.url}/api/v1/accounts/{me.id}/statuses",
        params={"min_id": posted[9], "limit": 3},
    ).json()
    assert [s["id"] for s in newer] == [posted[12], posted[11], posted[10]]
    between = httpx.get(
        f"{server.url}/api/v1/accounts/{me.id}/statuses",
        params={"max_id": posted[20], "since_id": posted[17]},
    ).json()
    assert [s["id"] for s in between] == [posted[19], posted[18]]


def test_metrics_survive_a_restart(tmp_path: pytest.TempPathFactory) -> None:
    state = tmp_path / "mastodon.json"  # type: ignore[operator]
    with MastodonTestServer.start(state_path=state) as first:
        author, fan = member(first, "author"), member(first, "fan")
        status = api(author).status_post("Reste")
        api(fan).status_favourite(status.id)
        api(fan).status_reblog(status.id)
        api(fan).status_post("Réponse", in_reply_to_id=status.id)
    with MastodonTestServer.start(state_path=state) as again:
        reloaded = Mastodon(access_token=fan.token, api_base_url=again.url).status(status.id)
        counts = (reloaded.favourites_count, reloaded.reblogs_count, reloaded.replies_count)
        assert counts == (1, 1, 1) and reloaded.favourited and reloaded.reblogged
