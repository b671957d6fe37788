# ruff: noqa: S608 - SQL is built from constant table names; values always go as parameters
"""Set-based writes of identity links: stage rows, merge them in key order, record observations.

Why this shape: a per-row upsert into a 5M-row unique index is a random B-tree insert each time.
Rows are appended to an unindexed temporary table (raw `executemany`), then merged with one
INSERT … SELECT … ORDER BY key ON CONFLICT DO UPDATE, so the index is walked in order, once
(measured on 5M rows: merging in chunks walks it once per chunk and costs more); the
observations are then copied from the links the run touched. One transaction, any size, both
SQLite (≥ 3.24) and PostgreSQL.

Reading and writing run in one thread on purpose: `executemany` releases the GIL around each
row's step, so a parsing thread beside it takes the GIL for a whole switch interval each time
— measured: staging 4× slower than parsing, then staging, in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

# (row_no, x_id, x_handle, network, remote_id, remote_handle, remote_url, evidence, confidence)
StagedLink = tuple[int, int, str, str, str, str, str, str, float]

STAGING = "crosswalk_staging"
LINKS = "crosswalk_identitylink"
OBSERVATIONS = "crosswalk_linkobservation"
MATCHES = "crosswalk_match"
FORGET = "crosswalk_forget"
BATCH_ROWS = 20_000
# Above this many staged rows, scanning the links for the run's timestamp beats one index
# probe per staged row.
SCAN_ABOVE = 100_000
SQLITE_IMPORT_CACHE_KIB = 262_144


@dataclass(frozen=True)
class MergeResult:
    imported: int  # links that did not exist before
    updated: int  # existing links this run observed again


def _batches(rows: Iterable[StagedLink], size: int) -> Iterator[list[StagedLink]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _db_now(now: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(now)


def _create_staging(cursor: Any) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGING} (row_no bigint, x_id bigint, "
        "x_handle varchar(50), network varchar(10), remote_id varchar(300), "
        "remote_handle varchar(300), remote_url varchar(500), evidence text, "
        "confidence double precision)"
    )


def _deduplicated_staging() -> str:
    """The staged rows, the last occurrence of each key winning. PostgreSQL refuses to update a
    row twice in one statement; SQLite applies duplicates in order (row_no sorts last wins)."""
    if connection.vendor == "postgresql":
        return (
            f"(SELECT DISTINCT ON (x_id, network, remote_id) * FROM {STAGING} "
            "ORDER BY x_id, network, remote_id, row_no DESC) AS s"
        )
    return f"{STAGING} AS s"


def _merge_sql() -> str:
    keep_if_empty = "CASE WHEN excluded.{c} <> '' THEN excluded.{c} ELSE {t}.{c} END"
    takes_over = f"(excluded.confidence >= {LINKS}.confidence OR excluded.source = {LINKS}.source)"
    sets = [
        f"{c} = " + keep_if_empty.format(c=c, t=LINKS)
        for c in ("x_handle", "remote_handle", "remote_url")
    ]
    sets += [
        f"source = CASE WHEN {takes_over} THEN excluded.source ELSE {LINKS}.source END",
        f"evidence = CASE WHEN {takes_over} THEN excluded.evidence ELSE {LINKS}.evidence END",
        f"confidence = CASE WHEN {takes_over} THEN excluded.confidence ELSE {LINKS}.confidence END",
        "last_verified = excluded.last_verified",
        "last_evidence = excluded.last_evidence",
        "last_confidence = excluded.last_confidence",
    ]
    return (
        f"INSERT INTO {LINKS} (x_id, x_handle, network, remote_id, remote_handle, remote_url, "
        "source, evidence, confidence, first_seen, last_verified, last_evidence, last_confidence) "
        "SELECT s.x_id, s.x_handle, s.network, s.remote_id, s.remote_handle, s.remote_url, "
        "%s, s.evidence, s.confidence, %s, %s, s.evidence, s.confidence "
        f"FROM {_deduplicated_staging()} WHERE true "
        "ORDER BY s.x_id, s.network, s.remote_id, s.row_no "
        "ON CONFLICT (x_id, network, remote_id) DO UPDATE SET " + ", ".join(sets)
    )


def _touched_links(staged: int) -> str:
    """A FROM clause yielding the links the current run wrote (`l`), parameter: the run's time."""
    if staged > SCAN_ABOVE:
        return f"{LINKS} l WHERE l.last_verified = %s"
    return (
        f"(SELECT DISTINCT x_id, network, remote_id FROM {STAGING}) s JOIN {LINKS} l "
        "ON l.x_id = s.x_id AND l.network = s.network AND l.remote_id = s.remote_id "
        "WHERE l.last_verified = %s"
    )


@contextmanager
def _sqlite_import_settings(cursor: Any) -> Iterator[None]:
    """For one import on SQLite: a larger page cache (the merge walks a large index). The
    connection's own settings come back afterwards. (Helper threads for the merge's sort,
    `PRAGMA threads`, were measured slower on 5M rows: they compete with the reading child.)"""
    if connection.vendor != "sqlite":
        yield
        return
    wanted = {"cache_size": -SQLITE_IMPORT_CACHE_KIB}
    saved = {}
    for name, value in wanted.items():
        cursor.execute(f"PRAGMA {name}")
        saved[name] = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA {name}={value}")
    try:
        yield
    finally:
        for name, value in saved.items():
            cursor.execute(f"PRAGMA {name}={value}")


def merge_links(
    rows: Iterable[StagedLink],
    source: str,
    *,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> MergeResult:
    """Upsert `rows` as observations by `source`; the best assertion wins on each link."""
    return merge_link_batches(
        _batches(rows, BATCH_ROWS), source, organisation_id=organisation_id, now=now
    )


def merge_link_batches(
    batches: Iterable[list[StagedLink]],
    source: str,
    *,
    organisation_id: int | None = None,
    now: datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> MergeResult:
    """`merge_links` for rows that come in batches (a dataset file, read as it is written)."""
    when = _db_now(now or timezone.now())
    staged = 0
    insert = f"INSERT INTO {STAGING} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    with transaction.atomic(), connection.cursor() as cursor, _sqlite_import_settings(cursor):
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {LINKS}")
        (last_before,) = cursor.fetchone()
        _create_staging(cursor)
        for batch in batches:
            cursor.executemany(insert, batch)
            staged += len(batch)
            if on_batch is not None:
                on_batch(staged)
        if staged:
            cursor.execute(_merge_sql(), [source, when, when])
            cursor.execute(
                f"INSERT INTO {OBSERVATIONS} (link_id, source, organisation_id, evidence, "
                "confidence, first_seen, last_seen) "
                f"SELECT l.id, %s, %s, l.last_evidence, l.last_confidence, %s, %s "
                f"FROM {_touched_links(staged)} ORDER BY l.id "
                "ON CONFLICT (link_id, source) DO UPDATE SET evidence = excluded.evidence, "
                "confidence = excluded.confidence, last_seen = excluded.last_seen, "
                "organisation_id = excluded.organisation_id",
                [source, organisation_id, when, when, when],
            )
            touched = cursor.rowcount
            # New links have ids above the largest one before the run (ids only grow).
            cursor.execute(
                f"SELECT COUNT(*) FROM {LINKS} WHERE id > %s AND first_seen = %s",
                [last_before, when],
            )
            (new,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE {STAGING}")
    if not staged:
        return MergeResult(0, 0)
    return MergeResult(imported=int(new), updated=int(touched) - int(new))


def forget(
    source: str,
    *,
    organisation_id: int | None = None,
    link_ids: Sequence[int] | None = None,
) -> int:
    """Remove what `source` asserted (optionally: only for one organisation, or some links).

    Links no other source asserts disappear, with the matches that point at them; links others
    also assert fall back to the best remaining observation. Returns the observations removed.
    """
    where = ["source = %s"]
    params: list[Any] = [source]
    if organisation_id is not None:
        where.append("organisation_id = %s")
        params.append(organisation_id)
    if link_ids is not None:
        if not link_ids:
            return 0
        where.append(f"link_id IN ({', '.join(['%s'] * len(link_ids))})")
        params.extend(link_ids)
    condition = " AND ".join(where)
    orphan = (
        f"SELECT f.link_id FROM {FORGET} f WHERE NOT EXISTS "
        f"(SELECT 1 FROM {OBSERVATIONS} o WHERE o.link_id = f.link_id)"
    )
    best = (
        f"(SELECT o.{{c}} FROM {OBSERVATIONS} o WHERE o.link_id = {LINKS}.id "
        "ORDER BY o.confidence DESC, o.last_seen DESC LIMIT 1)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FORGET}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FORGET} (link_id bigint PRIMARY KEY)")
        cursor.execute(
            f"INSERT INTO {FORGET} SELECT link_id FROM {OBSERVATIONS} WHERE {condition}", params
        )
        cursor.execute(f"DELETE FROM {OBSERVATIONS} WHERE {condition}", params)
        removed = cursor.rowcount
        cursor.execute(f"DELETE FROM {MATCHES} WHERE link_id IN ({orphan})")
        cursor.execute(f"DELETE FROM {LINKS} WHERE id IN ({orphan})")
        cursor.execute(
            f"UPDATE {LINKS} SET source = {best.format(c='source')}, "
            f"evidence = {best.format(c='evidence')}, "
            f"confidence = {best.format(c='confidence')} "
            f"WHERE source = %s AND id IN (SELECT link_id FROM {FORGET})",
            [source],
        )
        cursor.execute(f"DROP TABLE {FORGET}")
    return int(removed)
