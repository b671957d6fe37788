"""Stream an opened X archive into the database: relations, posts and media references.

Rows go straight from the reader's records to `bulk.insert_rows` (tuples, batched, ON CONFLICT
DO NOTHING on the remote ids), so importing the same archive twice adds nothing and a newer
archive of the same account adds only what is new. The caller holds the transaction: the reader
may raise `ArchiveError` in the middle of a stream, and then nothing written here must stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from django.db import connection

from envol.archives.source import ArchiveLimits
from envol.archives.x import XArchive
from envol.archives.x_records import Mention, RelationKind, Tweet
from envol.archives.ytd import Shard, UnshardableFile
from envol.bulk import BATCH_ROWS, insert_rows
from envol.portability.models import (
    ArchivedMedia,
    ArchivedPost,
    ArchiveImport,
    Relation,
    SourceAccount,
)
from envol.portability.rows import (
    Row,
    TweetRows,
    TweetsRead,
    adapter_for,
    bounded_url,
    media_row,
    rows_in_child,
)
from envol.portability.storage import MediaStore
from envol.processes import Reader, reader_processes

ProgressCallback = Callable[[str, int, int], None]
"""(phase, records done, records announced by the manifest — 0 when unknown)"""

TWEET_TYPES: Final = ("tweets", "tweet")
TOP_MENTIONS: Final = 10
# From this many tweets announced, a reader process turns them into rows while this one
# writes (rows.py says why); below, starting it costs more than it saves.
CHILD_FROM_TWEETS: Final = 20_000
# The tweets file's pieces are shared: this process normalises PIECES_HERE of every PIECES
# between its writes, a reader process the rest (measured in bench/archive_import.py).
PIECES: Final = 5
PIECES_HERE: Final = 1
BATCHES_AHEAD: Final = 4  # what the reader may send ahead: memory stays bounded

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


def datetime_adapter() -> Callable[[datetime], Any]:
    """What the raw cursor needs for a UTC datetime column (Django's own format on SQLite)."""
    return adapter_for(connection.vendor)


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
            "website": bounded_url(profile.website),
            "location": profile.location[:200],
            "avatar_url": bounded_url(profile.avatar_url),
        }
    source, _created = SourceAccount.objects.update_or_create(
        organisation_id=organisation_id, network="x", remote_id=account.id[:64], defaults=details
    )
    return source


@dataclass
class ArchiveWriter:
    """One pass over the archive; `run()` writes everything and returns what it saw and added."""

    archive_import: ArchiveImport
    source: SourceAccount
    archive: XArchive
    media_store: MediaStore | None = None
    progress: ProgressCallback | None = None
    batch_rows: int = BATCH_ROWS
    # The archive's file and limits, for a reader process to open it again (None: read here).
    reopen: tuple[Path, ArchiveLimits] | None = None
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
        tweets = sum(declared.get(k, 0) for k in TWEET_TYPES)
        added: dict[str, int] = {}
        with self._tweet_batches(in_child=tweets >= CHILD_FROM_TWEETS) as batches:
            for kind in RelationKind:
                added[kind.value] = self._write_relations(kind)
            added |= self._write_posts(batches)
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

    @contextmanager
    def _tweet_batches(self, in_child: bool) -> Iterator[Iterator[tuple[list[Row], list[Row]]]]:
        """The tweets as batches of rows: shared between a reader process, started now so that
        it works while the relations are written, and this one, which takes its share between
        writes; or all made here (a small archive; media kept, which this process stores; an
        archive given as bytes)."""
        if not in_child or self.reopen is None or self.media_store is not None:
            yield self._batches_here()
            return
        path, limits = self.reopen
        args = (str(path), limits, connection.vendor, self._account_pk, self._import_pk)
        theirs = Shard(PIECES_HERE, PIECES, PIECES - PIECES_HERE)
        with reader_processes(
            rows_in_child, [(*args, self.batch_rows, theirs)], BATCHES_AHEAD
        ) as reader:
            yield self._shared(reader)

    def _batches_here(self) -> Iterator[tuple[list[Row], list[Row]]]:
        rows = TweetRows(self._account_pk, self._import_pk, self._adapt, self._media_rows)
        yield from rows.batches(self.archive.tweets(), self.batch_rows)
        self._noted(rows.mentions, rows.first, rows.last)

    def _shared(self, reader: Reader) -> Iterator[tuple[list[Row], list[Row]]]:
        read: list[TweetsRead] = []

        def batches_of(messages: Iterator[Any]) -> Iterator[tuple[list[Row], list[Row]]]:
            for message in messages:
                if isinstance(message, TweetsRead):
                    read.append(message)
                else:
                    yield message

        ours = TweetRows(self._account_pk, self._import_pk, self._adapt, self._media_rows)
        try:
            yield from batches_of(reader.ready_messages())
            for batch in ours.batches(
                self.archive.tweets(Shard(0, PIECES, PIECES_HERE)), self.batch_rows
            ):
                yield batch
                yield from batches_of(reader.ready_messages())
            passes = [self.archive.tweet_pass()]
            yield from batches_of(reader.messages())
        except UnshardableFile:
            # Not X's layout, or a malformed record to locate: read here, from the start (the
            # rows already written are skipped by their keys).
            yield from self._batches_here()
            return
        self.archive.adopt_tweet_passes(passes + [one.tweet_pass for one in read])
        firsts = [m for m in (ours.first, *(one.first for one in read)) if m is not None]
        lasts = [m for m in (ours.last, *(one.last for one in read)) if m is not None]
        mentions = sum((one.mentions for one in read), Counter(ours.mentions))
        self._noted(mentions, min(firsts, default=None), max(lasts, default=None))

    def _noted(
        self, mentions: Counter[Mention], first: datetime | None, last: datetime | None
    ) -> None:
        self._mentions.update(mentions)
        self._first, self._last = first, last

    def _write_posts(self, batches: Iterator[tuple[list[Row], list[Row]]]) -> dict[str, int]:
        posts = ArchivedPost.objects.filter(source_account=self.source)
        media = ArchivedMedia.objects.filter(source_account=self.source)
        posts_before, media_before = posts.count(), media.count()
        for post_rows, media_rows in batches:
            self._flush(post_rows, media_rows)
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
