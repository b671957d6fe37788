"""Normalising single tweets: hand-written archive records with known answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from envol.archives.x_tweets import (
    NoteIndex,
    TweetContext,
    decode_entities,
    normalise_tweet,
    parse_note,
    parse_tweet_date,
    quoted_status,
)

NO_CONTEXT = TweetContext(media_files=frozenset(), notes=None)


def tweet(**fields: Any) -> dict[str, Any]:
    base = {"id_str": "100", "created_at": "Sat Feb 18 12:33:11 +0000 2023", "full_text": "hi"}
    return {"tweet": {**base, **fields}}


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("a &amp; b", "a & b"),
        ("&lt;b&gt;", "<b>"),
        ("&amp;lt;", "&lt;"),
        ("&amp;amp;", "&amp;"),
        ("no entity", "no entity"),
        ('l\'été "ok"', 'l\'été "ok"'),
    ],
)
def test_decode_entities_inverts_x_escaping(raw: str, plain: str) -> None:
    assert decode_entities(raw) == plain


def test_dates_are_utc_whatever_the_offset() -> None:
    assert parse_tweet_date("Sat Feb 18 12:33:11 +0000 2023") == datetime(
        2023, 2, 18, 12, 33, 11, tzinfo=UTC
    )
    assert parse_tweet_date("Sat Feb 18 14:33:11 +0200 2023") == datetime(
        2023, 2, 18, 12, 33, 11, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        parse_tweet_date("2023-02-18")


@pytest.mark.parametrize(
    ("url", "quoted"),
    [
        ("https://twitter.com/someone/status/123", "123"),
        ("https://x.com/some_one/status/456?s=20", "456"),
        ("https://mobile.twitter.com/a/statuses/7", "7"),
        ("https://twitter.com/i/web/status/123", ""),
        ("https://example.org/status/123", ""),
    ],
)
def test_quotes_are_detected_from_status_links(url: str, quoted: str) -> None:
    assert quoted_status(url) == quoted


def test_links_are_expanded_and_media_links_removed() -> None:
    raw = tweet(
        full_text="Voir https://t.co/AAAAAAAAAA &amp; https://t.co/QQQQQQQQQQ https://t.co/MMMMMMMMMM",
        entities={
            "urls": [
                {"url": "https://t.co/AAAAAAAAAA", "expanded_url": "https://a.example/?x=1&y=2"},
                {"url": "https://t.co/QQQQQQQQQQ", "expanded_url": "https://x.com/bob/status/9"},
            ],
            "user_mentions": [{"screen_name": "bob", "id_str": "42"}],
            "hashtags": [{"text": "café"}],
        },
        extended_entities={
            "media": [
                {
                    "url": "https://t.co/MMMMMMMMMM",
                    "type": "photo",
                    "media_url_https": "https://pbs.twimg.com/media/Fq1.jpg",
                    "ext_alt_text": "Une photo",
                }
            ]
        },
    )
    context = TweetContext(media_files=frozenset({"100-Fq1.jpg"}), notes=None)
    result = normalise_tweet(raw, context)
    assert result.text == "Voir https://a.example/?x=1&y=2 & https://x.com/bob/status/9"
    assert result.quoted_tweet_id == "9" and result.hashtags == ("café",)
    assert [(m.user_id, m.username) for m in result.mentions] == [("42", "bob")]
    (media,) = result.media
    assert (media.file_name, media.in_archive, media.alt_text) == ("100-Fq1.jpg", True, "Une photo")


def test_numbers_as_numbers_and_bare_tweets() -> None:
    raw = {"id": 123, "created_at": "Sat Feb 18 12:33:11 +0000 2023", "full_text": "RT @a: b"}
    raw["in_reply_to_status_id"] = 5
    result = normalise_tweet(raw, NO_CONTEXT)
    assert (result.id, result.is_retweet, result.reply_to_tweet_id) == ("123", True, "5")


def test_the_best_video_variant_names_the_file() -> None:
    video = {
        "type": "video",
        "media_url_https": "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/T.jpg",
        "video_info": {
            "variants": [
                {"bitrate": "256000", "content_type": "video/mp4", "url": "https://v/lo.mp4?t=1"},
                {"content_type": "application/x-mpegURL", "url": "https://v/pl.m3u8"},
                {"bitrate": 2176000, "content_type": "video/mp4", "url": "https://v/hi.mp4?t=1"},
            ]
        },
    }
    result = normalise_tweet(tweet(extended_entities={"media": [video]}), NO_CONTEXT)
    assert result.media[0].file_name == "100-hi.mp4"


def test_a_long_post_is_joined_by_its_time_and_first_words() -> None:
    index = NoteIndex()
    long_text = "Le conseil municipal &amp; la mairie " + "vous informent. " * 30
    index.add(
        parse_note(
            {
                "noteTweet": {
                    "noteTweetId": "9",
                    "createdAt": "2023-02-18T12:33:11.000Z",
                    "core": {"text": long_text, "urls": [], "mentions": [], "hashtags": []},
                }
            }
        )
    )
    index.add(parse_note({"noteTweet": {"noteTweetId": "8", "createdAt": "2023-02-18T12:33:11Z"}}))
    truncated = tweet(
        full_text="Le conseil municipal &amp; la mairie vous… https://t.co/SSSSSSSSSS",
        entities={
            "urls": [
                {
                    "url": "https://t.co/SSSSSSSSSS",
                    "expanded_url": "https://twitter.com/i/web/status/100",
                }
            ]
        },
    )
    result = normalise_tweet(truncated, TweetContext(frozenset(), index))
    assert result.is_note and result.text == decode_entities(long_text)
    assert result.urls == ()
    assert index.unjoined == 1
    other = normalise_tweet(
        tweet(id_str="101", full_text="Autre chose"), TweetContext(frozenset(), index)
    )
    assert not other.is_note


@pytest.mark.parametrize(
    "raw",
    [
        {"tweet": "text"},
        tweet(full_text=5),
        tweet(id_str=None),
        tweet(entities=[]),
        tweet(entities={"urls": [{"url": 5}]}),
        tweet(extended_entities={"media": ["x"]}),
        tweet(created_at="Sat Foo 18 12:33:11 +0000 2023"),
    ],
)
def test_wrong_shapes_raise_value_or_key_errors(raw: Any) -> None:
    with pytest.raises((ValueError, KeyError)):
        normalise_tweet(raw, NO_CONTEXT)
