"""An archive's tweets as database rows: pure Python, no Django, so that a reader process can
turn them into rows while the importing process writes (see `importer.TWEETS_IN_A_CHILD`).

Why a child: normalising 200k tweets (entities decoded, short links expanded, long posts
joined, media checked) is Python work holding the GIL, the write is mostly the database's; a
spawned child normalises the next batches while the parent writes the previous ones and the
relations, so the two overlap on two cores (the crosswalk import does the same, `chunks.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from envol.archives.errors import ArchiveError
from envol.archives.source import ArchiveLimits
from envol.archives.x import XArchive
from envol.archives.x_records import Media, Mention, Tweet, TweetPass
from envol.archives.ytd import Shard, UnshardableFile
from envol.processes import die_with_parent

EMPTY_JSON: Final = "[]"
Row = tuple[Any, ...]


def sqlite_utc(moment: datetime) -> str:
    """Django's SQLite text for an aware datetime, in UTC. An archive's datetimes are already
    UTC: their ISO text loses its `+00:00` (a third of the cost of converting first)."""
    text = moment.isoformat(" ")
    if text.endswith("+00:00"):
        return text[:-6]
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ")


def _as_is(moment: datetime) -> datetime:
    return moment


def adapter_for(vendor: str) -> Callable[[datetime], Any]:
    """What the raw cursor of `vendor` needs for a UTC datetime column."""
    return sqlite_utc if vendor == "sqlite" else _as_is


def _json_mentions(mentions: tuple[Mention, ...]) -> str:
    return orjson.dumps([{"id": m.user_id, "username": m.username} for m in mentions]).decode()


def clean(text: str) -> str:
    """PostgreSQL refuses NUL characters in text; imported content may carry them."""
    return text.replace("\x00", "") if "\x00" in text else text


def bounded_url(value: str) -> str:
    return value if len(value) <= 500 else ""


def post_row(
    tweet: Tweet, account_pk: int, import_pk: int, adapt: Callable[[datetime], Any]
) -> Row:
    """An `ArchivedPost` row in `POST_COLUMNS` order. It runs on every post: the tweet is
    unpacked at once and `clean`, `bounded_url` and the JSON helpers are inlined."""
    (
        remote_id,
        created_at,
        text,
        lang,
        is_retweet,
        reply_to_post_id,
        reply_to_user_id,
        reply_to_username,
        _quoted_id,
        quoted_url,
        mentions,
        hashtags,
        urls,
        _media,
        is_note,
    ) = tweet
    return (
        account_pk,
        remote_id[:64],
        adapt(created_at),
        text.replace("\x00", "") if "\x00" in text else text,
        lang[:10],
        is_retweet,
        reply_to_post_id[:64],
        reply_to_user_id[:64],
        reply_to_username[:100],
        quoted_url if len(quoted_url) <= 500 else "",
        _json_mentions(mentions) if mentions else EMPTY_JSON,
        orjson.dumps(hashtags).decode() if hashtags else EMPTY_JSON,
        orjson.dumps(urls).decode() if urls else EMPTY_JSON,
        is_note,
        import_pk,
    )


def media_row(tweet: Tweet, item: Media, account_pk: int, stored_path: str) -> Row:
    """An `ArchivedMedia` row in `MEDIA_COLUMNS` order."""
    return (
        account_pk,
        tweet.id[:64],
        item.position,
        item.kind[:20],
        item.file_name[:255],
        clean(item.alt_text),
        bounded_url(item.url),
        stored_path,
    )


@dataclass
class TweetRows:
    """Tweets → batches of (post rows, media rows), noting what the import reports besides:
    the accounts mentioned, the first and last post's dates."""

    account_pk: int
    import_pk: int
    adapt: Callable[[datetime], Any]
    media_rows: Callable[[Tweet], Iterable[Row]]
    mentions: Counter[Mention] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None

    def batches(self, tweets: Iterable[Tweet], size: int) -> Iterator[tuple[list[Row], list[Row]]]:
        post_rows: list[Row] = []
        media_rows: list[Row] = []
        add_post = post_rows.append
        account_pk, import_pk, adapt = self.account_pk, self.import_pk, self.adapt
        mentioned = self.mentions.update
        first, last = self.first, self.last
        for tweet in tweets:
            if tweet.mentions and not tweet.is_retweet:
                mentioned(tweet.mentions)  # a `Mention` counts as its (user id, username)
            moment = tweet.created_at
            if first is None or moment < first:
                first = moment
            if last is None or moment > last:
                last = moment
            add_post(post_row(tweet, account_pk, import_pk, adapt))
            if tweet.media:
                media_rows.extend(self.media_rows(tweet))
            if len(post_rows) >= size:
                self.first, self.last = first, last
                yield post_rows, media_rows
                post_rows, media_rows = [], []
                add_post = post_rows.append
        self.first, self.last = first, last
        if post_rows:
            yield post_rows, media_rows


@dataclass
class TweetsRead:
    """A child's last word: what the parent's archive and writer would have noted of its
    share of the tweets."""

    tweet_pass: TweetPass
    mentions: Counter[Mention]
    first: datetime | None
    last: datetime | None


def rows_in_child(
    path: str,
    limits: ArchiveLimits,
    vendor: str,
    account_pk: int,
    import_pk: int,
    size: int,
    shard: Shard,
    out: Any,
    position: Any,
) -> None:
    """A child, reading its shard of the tweets: each message a batch (post rows, media rows),
    then a `TweetsRead`, then None; or the ArchiveError that stopped it (the parent raises it
    in its transaction), or `UnshardableFile` (the parent then reads the tweets itself)."""
    die_with_parent()  # a killed import leaves no reader behind
    try:
        with XArchive.open(Path(path), limits) as archive:

            def no_stored_file(tweet: Tweet) -> Iterator[Row]:
                return (media_row(tweet, item, account_pk, "") for item in tweet.media)

            rows = TweetRows(account_pk, import_pk, adapter_for(vendor), no_stored_file)
            for batch in rows.batches(archive.tweets(shard), size):
                out.put(batch)
                with position.get_lock():
                    position.value += len(batch[0])
            out.put(TweetsRead(archive.tweet_pass(), rows.mentions, rows.first, rows.last))
        out.put(None)
    except (ArchiveError, UnshardableFile) as exc:
        out.put(exc)
