"""Stream an opened X archive into the database: relations, posts and media references.

Rows go straight from the reader's records to `bulk.insert_rows` (tuples, batched, ON CONFLICT
DO NOTHING on the remote ids), so importing the same archive twice adds nothing and a newer
archive of the same account adds only what is new. The caller holds the transaction: the reader
may raise `ArchiveError` in the middle of a stream, and then nothing written here must stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from django.db import connection

from envol.archives.x import XArchive
from envol.archives.x_records import Media, Mention, RelationKind, Tweet
from envol.bulk import BATCH_ROWS, insert_rows
from envol.portability.models import (
    ArchivedMedia,
    ArchivedPost,
    ArchiveImport,
    Relation,
    SourceAccount,
)
from envol.portability.storage import MediaStore

ProgressCallback = Callable[[str, int, int], None]
"""(phase, records done, records announced by the manifest — 0 when unknown)"""

TWEET_TYPES: Final = ("tweets", "tweet")
TOP_MENTIONS: Final = 10
EMPTY_JSON: Final = "[]"

RELATION_COLUMNS: Final = ("source_account_id", "kind", "remote_id", "first_import_id")
POST_COLUMNS: Final = (
    "source_account_id",
    "remote_id",
    "created_at",
    "text",
    "lang",
    "is_retweet",
    "reply_to_post_id",
    "reply_to_user_id",
    "reply_to_username",
    "quoted_post_url",
    "mentions",
    "hashtags",
    "urls",
    "is_note",
    "first_import_id",
)
MEDIA_COLUMNS: Final = (
    "source_account_id",
    "post_remote_id",
    "position",
    "kind",
    "file_name",
    "alt_text",
    "url",
    "stored_path",
)


@dataclass
class ImportResult:
    counts: dict[str, int]
    added: dict[str, int]
    warnings: list[dict[str, str]]
    top_mentions: list[dict[str, Any]]
    first_post_at: datetime | None = None
    last_post_at: datetime | None = None


def sqlite_utc(moment: datetime) -> str:
    """Django's SQLite text for an aware datetime, in UTC. An archive's datetimes are already
    UTC: their ISO text loses its `+00:00` (a third of the cost of converting first)."""
    text = moment.isoformat(" ")
    if text.endswith("+00:00"):
        return text[:-6]
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ")


def datetime_adapter() -> Callable[[datetime], Any]:
    """What the raw cursor needs for a UTC datetime column (Django's own format on SQLite)."""
    if connection.vendor == "sqlite":
        return sqlite_utc
    return lambda moment: moment


def _json_mentions(mentions: tuple[Mention, ...]) -> str:
    return orjson.dumps([{"id": m.user_id, "username": m.username} for m in mentions]).decode()


def _clean(text: str) -> str:
    """PostgreSQL refuses NUL characters in text; imported content may carry them."""
    return text.replace("\x00", "") if "\x00" in text else text


def upsert_source_account(organisation_id: int, archive: XArchive) -> SourceAccount:
    """Same X id → same row: a newer archive refreshes the profile and adds to the same account."""
    account, profile = archive.account, archive.profile
    details: dict[str, Any] = {
        "username": account.username[:100],
        "display_name": account.display_name[:200],
        "created_remote": account.created_at,
    }
    if profile is not None:
        details |= {
            "bio": profile.bio,
            "website": _url(profile.website),
            "location": profile.location[:200],
            "avatar_url": _url(profile.avatar_url),
        }
    source, _created = SourceAccount.objects.update_or_create(
        organisation_id=organisation_id, network="x", remote_id=account.id[:64], defaults=details
    )
    return source


def _url(value: str) -> str:
    return value if len(value) <= 500 else ""


def post_row(
    tweet: Tweet, account_pk: int, import_pk: int, adapt: Callable[[datetime], Any]
) -> tuple[Any, ...]:
    """An `ArchivedPost` row in `POST_COLUMNS` order. It runs on every post: the tweet is
    unpacked at once and `_clean`, `_url` and the JSON helpers are inlined."""
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


def media_row(tweet: Tweet, item: Media, account_pk: int, stored_path: str) -> tuple[Any, ...]:
    """An `ArchivedMedia` row in `MEDIA_COLUMNS` order."""
    return (
        account_pk,
        tweet.id[:64],
        item.position,
        item.kind[:20],
        item.file_name[:255],
        _clean(item.alt_text),
        _url(item.url),
        stored_path,
    )


@dataclass
class ArchiveWriter:
    """One pass over the archive; `run()` writes everything and returns what it saw and added."""

    archive_import: ArchiveImport
    source: SourceAccount
    archive: XArchive
    media_store: MediaStore | None = None
    progress: ProgressCallback | None = None
    batch_rows: int = BATCH_ROWS
    _done: int = 0
    _total: int = 0
    _mentions: Counter[Mention] = field(default_factory=Counter)
    _first: datetime | None = None
    _last: datetime | None = None
    _adapt: Callable[[datetime], Any] = field(init=False)
    _account_pk: int = field(init=False)  # read per row: a model's `pk` is a property call
    _import_pk: int = field(init=False)

    def __post_init__(self) -> None:
        self._adapt = datetime_adapter()
        self._account_pk, self._import_pk = self.source.pk, self.archive_import.pk

    def run(self) -> ImportResult:
        declared = self.archive.declared_counts()
        kinds = [kind.value for kind in RelationKind]
        self._total = sum(declared.get(k, 0) for k in (*kinds, *TWEET_TYPES))
        added: dict[str, int] = {}
        for kind in RelationKind:
            added[kind.value] = self._write_relations(kind)
        added |= self._write_posts()
        counts = self.archive.counts().as_dict()  # relations recounted; tweet tallies reused
        warnings = [
            {"code": w.code, "file": w.file, "detail": w.detail} for w in self.archive.warnings
        ]
        top = [
            {"id": user_id, "username": username, "count": count}
            for (user_id, username), count in self._mentions.most_common(TOP_MENTIONS)
        ]
        return ImportResult(counts, added, warnings, top, self._first, self._last)

    # --- relations --------------------------------------------------------------------------

    def _write_relations(self, kind: RelationKind) -> int:
        existing = Relation.objects.filter(source_account=self.source, kind=kind.value)
        before = existing.count()
        insert_rows(
            Relation,
            RELATION_COLUMNS,
            self._relation_rows(kind),
            conflict=("source_account_id", "kind", "remote_id"),
            batch_rows=self.batch_rows,
        )
        return existing.count() - before

    def _relation_rows(self, kind: RelationKind) -> Iterator[tuple[Any, ...]]:
        account_id, import_id, value = self.source.pk, self.archive_import.pk, kind.value
        number = 0
        for number, relation in enumerate(self.archive.relations(kind), 1):
            yield (account_id, value, relation.account_id[:64], import_id)
            if number % self.batch_rows == 0:
                self._advance(value, self.batch_rows)
        self._advance(value, number % self.batch_rows)

    # --- posts and media --------------------------------------------------------------------

    def _write_posts(self) -> dict[str, int]:
        posts = ArchivedPost.objects.filter(source_account=self.source)
        media = ArchivedMedia.objects.filter(source_account=self.source)
        posts_before, media_before = posts.count(), media.count()
        post_rows: list[tuple[Any, ...]] = []
        media_rows: list[tuple[Any, ...]] = []
        add_post, batch_rows = post_rows.append, self.batch_rows
        account_pk, import_pk, adapt = self._account_pk, self._import_pk, self._adapt
        mentioned = self._mentions.update
        first = last = None
        for tweet in self.archive.tweets():
            if tweet.mentions and not tweet.is_retweet:
                mentioned(tweet.mentions)  # a `Mention` counts as its (user id, username)
            moment = tweet.created_at
            if first is None or moment < first:
                first = moment
            if last is None or moment > last:
                last = moment
            add_post(post_row(tweet, account_pk, import_pk, adapt))
            if tweet.media:
                media_rows.extend(self._media_rows(tweet))
            if len(post_rows) >= batch_rows:
                self._flush(post_rows, media_rows)
        self._flush(post_rows, media_rows)
        self._first, self._last = first, last
        return {"tweets": posts.count() - posts_before, "media": media.count() - media_before}

    def _flush(self, post_rows: list[tuple[Any, ...]], media_rows: list[tuple[Any, ...]]) -> None:
        insert_rows(
            ArchivedPost,
            POST_COLUMNS,
            post_rows,
            conflict=("source_account_id", "remote_id"),
            batch_rows=self.batch_rows,
        )
        if media_rows:
            insert_rows(
                ArchivedMedia,
                MEDIA_COLUMNS,
                media_rows,
                conflict=("source_account_id", "post_remote_id", "position"),
                # a later import that keeps media fills in the files of known references
                update=("stored_path",) if self.media_store else (),
                batch_rows=self.batch_rows,
            )
        self._advance("tweets", len(post_rows))
        post_rows.clear()
        media_rows.clear()

    def _media_rows(self, tweet: Tweet) -> Iterator[tuple[Any, ...]]:
        store = self.media_store
        for item in tweet.media:
            stored = ""
            if store is not None and item.in_archive and store.accepts(item.file_name):
                with self.archive.open_media(item.file_name) as stream:
                    stored = store.save(item.file_name, stream)
            yield media_row(tweet, item, self._account_pk, stored)

    def _advance(self, phase: str, records: int) -> None:
        self._done += records
        if self.progress is not None:
            self.progress(phase, self._done, max(self._total, self._done))
