"""The test network's AppView is the real `@atproto/bsky`: it indexes what the PDS stores and
counts likes, reposts, replies, quotes and followers as Bluesky does, and the PDS proxies
app.bsky.* to it, so the `atproto` SDK's high-level login works.

Every count is waited for (the AppView updates counts in the background after indexing a record).
"""

from __future__ import annotations

import pytest
from atproto import Client

from envol.testing.appview import BlueskyNetwork

pytestmark = pytest.mark.pds


def test_a_like_from_another_account_raises_like_count_in_get_posts_and_author_feed(
    bluesky_network: BlueskyNetwork,
) -> None:
    author = bluesky_network.create_account("author")
    fan = bluesky_network.create_account("fan")
    post = bluesky_network.post(author, "Nous sommes sur Bluesky.")
    indexed = bluesky_network.counts_of(post, likeCount=0)
    assert indexed["record"]["text"] == "Nous sommes sur Bluesky."

    like = bluesky_network.like(fan, post)

    assert bluesky_network.wait_until_indexed(like)["value"]["subject"]["uri"] == post.uri
    assert bluesky_network.counts_of(post, likeCount=1)["author"]["did"] == author.did
    feed = bluesky_network.appview("app.bsky.feed.getAuthorFeed", actor=author.handle)["feed"]
    assert [(item["post"]["uri"], item["post"]["likeCount"]) for item in feed] == [(post.uri, 1)]

    bluesky_network.delete(fan, like)
    bluesky_network.counts_of(post, likeCount=0)


def test_reposts_replies_and_quotes_are_counted_on_the_post(
    bluesky_network: BlueskyNetwork,
) -> None:
    author = bluesky_network.create_account("author")
    other = bluesky_network.create_account("other")
    post = bluesky_network.post(author, "Un fil.")

    bluesky_network.repost(other, post)
    reply = bluesky_network.reply(other, post, "Bienvenue !")
    answer = bluesky_network.reply(author, reply, "Merci.")
    quote = bluesky_network.quote(other, post, "À lire.")

    counted = bluesky_network.counts_of(post, repostCount=1, replyCount=1, quoteCount=1)
    assert counted["likeCount"] == 0
    assert answer.root == post and reply.root == post
    thread = bluesky_network.appview("app.bsky.feed.getPostThread", uri=post.uri)["thread"]
    assert [r["post"]["uri"] for r in thread["replies"]] == [reply.uri]
    assert [r["post"]["uri"] for r in thread["replies"][0]["replies"]] == [answer.uri]
    quoting = bluesky_network.wait_until_indexed(quote)["value"]["embed"]["record"]
    assert quoting == post.strong_ref


def test_a_follow_raises_followers_count_on_the_profile(bluesky_network: BlueskyNetwork) -> None:
    followed = bluesky_network.create_account("followed")
    follower = bluesky_network.create_account("follower")
    assert bluesky_network.profile(followed)["followersCount"] == 0

    follow = bluesky_network.follow(follower, followed)

    profile = bluesky_network.wait_until(
        lambda: (p := bluesky_network.profile(followed))["followersCount"] == 1 and p,
        what="one follower",
    )
    assert profile["handle"] == followed.handle
    bluesky_network.wait_until(
        lambda: bluesky_network.profile(follower)["followsCount"] == 1, what="one follow"
    )
    follows = bluesky_network.appview("app.bsky.graph.getFollows", actor=follower.did)
    assert [f["did"] for f in follows["follows"]] == [followed.did]
    assert bluesky_network.wait_until_indexed(follow)["value"]["subject"] == followed.did


def test_the_pds_proxies_app_bsky_so_the_sdk_logs_in_with_its_profile(
    bluesky_network: BlueskyNetwork,
) -> None:
    me = bluesky_network.create_account("sdk")
    fan = bluesky_network.create_account("fan")
    bluesky_network.follow(fan, me)
    bluesky_network.wait_until(
        lambda: bluesky_network.profile(me)["followersCount"] == 1, what="one follower"
    )

    client = Client(base_url=bluesky_network.pds_url)
    profile = client.login(me.handle, me.password)  # createSession, then getProfile via the PDS

    assert (profile.did, profile.handle, profile.followers_count) == (me.did, me.handle, 1)
    # An authenticated read through the PDS carries the viewer's state from the AppView.
    seen_by_fan = Client(base_url=bluesky_network.pds_url)
    seen_by_fan.login(fan.handle, fan.password)
    viewed = seen_by_fan.get_profile(me.did)
    assert viewed.viewer is not None and viewed.viewer.following is not None


def test_a_fresh_appview_database_catches_up_with_the_pds_history(
    bluesky_network: BlueskyNetwork,
) -> None:
    """What the sandbox relies on: its AppView starts on a new database each time."""
    author = bluesky_network.create_account("author")
    post = bluesky_network.post(author, "Avant le redémarrage")
    bluesky_network.like(bluesky_network.create_account("fan"), post)
    bluesky_network.counts_of(post, likeCount=1)

    bluesky_network.restart(fresh_database=True)

    assert bluesky_network.counts_of(post, likeCount=1)["author"]["handle"] == author.handle
    assert bluesky_network.profile(author)["postsCount"] == 1
