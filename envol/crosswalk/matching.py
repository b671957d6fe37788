# ruff: noqa: S608 - SQL is built from constant table names; values always go as parameters
"""Matching: every relation of an archive import → its best candidate, in one INSERT … SELECT.

The relations are joined to the links on the indexed X id; a window function ranks each
relation's candidates (confidence, then freshness); the best becomes the Match, the others are
listed beside it. Re-running updates what no person has decided yet and leaves their decisions
alone; matches whose candidates vanished (takedown) are removed unless someone decided them.
"""

from __future__ import annotations

import os
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from envol import readahead
from envol.crosswalk import tallies
from envol.crosswalk.models import Band, Decision
from envol.crosswalk.services import thresholds
from envol.portability.models import ArchiveImport, Relation

RELATIONS = "portability_relation"
LINKS = "crosswalk_identitylink"
MATCHES = "crosswalk_match"
OTHER_CANDIDATES_SHOWN = 5
MATCH_WORK_MEM = "64MB"
AUDIENCE = "(l.source <> 'self' OR r.kind = 'following')"
"""A plain `self` link (consent level *my followers*) serves only the people whose archive lists
its owner as followed; every other link serves every relation (see `sources.SELF_PUBLIC`)."""


def _x_id_of_relation() -> str:
    """The relation's X id (text, from the archive) as the links' integer key. SQLite compares
    an integer column with text as numbers, and still probes the index; PostgreSQL needs the
    cast, guarded so that an id that is not a number matches nothing instead of failing."""
    if connection.vendor == "postgresql":
        return (
            "CASE WHEN r.remote_id ~ '^[0-9]{1,19}$' "
            "AND CAST(r.remote_id AS numeric) <= 9223372036854775807 "
            "THEN CAST(r.remote_id AS bigint) END"
        )
    return "r.remote_id"


UPSERT = f"""
ON CONFLICT (archive_import_id, relation_id, network) DO UPDATE SET
    x_handle = excluded.x_handle, link_id = excluded.link_id, remote_id = excluded.remote_id,
    remote_handle = excluded.remote_handle, remote_url = excluded.remote_url,
    confidence = excluded.confidence, band = excluded.band, source = excluded.source,
    reasons = excluded.reasons, candidates = excluded.candidates,
    candidate_count = excluded.candidate_count, decision = excluded.decision,
    decided_at = excluded.decided_at, computed_at = excluded.computed_at
WHERE {MATCHES}.decided_by_id IS NULL
"""


def _others(other: str) -> str:
    """The other candidates, best first after the chosen one, as one line of text (SQLite 3.40
    lacks string_agg, PostgreSQL lacks group_concat)."""
    order = "l.confidence DESC, l.last_verified DESC, l.id"
    if connection.vendor == "postgresql":
        return f"string_agg({other}, '; ' ORDER BY {order})"
    return f"group_concat({other}, '; ')"  # SQLite keeps the order of its ordered subquery


def _match_sql(upsert: bool = True, in_parts: bool = False) -> str:
    """`in_parts`: only the relations of part %(part)s of %(parts)s (by id)."""
    band = (
        "CASE WHEN b.confidence >= %(auto)s THEN 'auto' "
        "WHEN b.confidence >= %(review)s THEN 'review' ELSE 'none' END"
    )
    other = (
        "l.remote_id || ' (' || l.source || ', ' "
        "|| CAST(ROUND(l.confidence * 100) AS INTEGER) || '%%)'"
    )
    audience = AUDIENCE.replace("r.kind", "b.kind")
    # One window ranks each relation's candidates; a second, from the best one to the end,
    # counts them and finds their X handle in the same pass. The few relations with more than
    # one candidate have the others listed by a probe of their own: a listing window over
    # every row costed 40 % of the statement (SQLite, 100k relations: 1.0–1.2 s → 0.65–0.7 s).
    return f"""
INSERT INTO {MATCHES} (archive_import_id, relation_id, network, kind, x_id, x_handle, link_id,
    remote_id, remote_handle, remote_url, confidence, band, source, reasons, candidates,
    candidate_count, decision, decided_by_id, decided_at, computed_at)
WITH candidate AS (
    SELECT r.id AS relation_id, r.kind, r.remote_id AS x_id, l.x_id AS link_x_id, l.id AS link_id,
        l.remote_id, l.remote_handle, l.remote_url, l.confidence, l.source, l.evidence,
        ROW_NUMBER() OVER ranked AS cand_rank,
        COUNT(*) OVER rest AS how_many,
        MAX(l.x_handle) OVER rest AS handle_seen
    FROM {RELATIONS} r JOIN {LINKS} l ON l.x_id = {_x_id_of_relation()} AND l.network = %(network)s
    WHERE r.source_account_id = %(account)s AND r.kind = %(kind)s AND {AUDIENCE}
        {"AND r.id %% %(parts)s = %(part)s" if in_parts else ""}
    WINDOW ranked AS (PARTITION BY r.id ORDER BY l.confidence DESC, l.last_verified DESC, l.id),
        rest AS (ranked ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
)
SELECT %(import)s, b.relation_id, %(network)s, b.kind, b.x_id,
    CASE WHEN b.handle_seen <> '' THEN b.handle_seen ELSE
        COALESCE((SELECT MAX(h.x_handle) FROM {LINKS} h WHERE h.x_id = b.link_x_id), '') END,
    b.link_id, b.remote_id,
    b.remote_handle, b.remote_url, b.confidence, {band}, b.source,
    b.source || CASE WHEN b.evidence <> '' THEN ': ' || b.evidence ELSE '' END,
    CASE WHEN b.how_many > 1 THEN COALESCE((
        SELECT {_others(other)} FROM (
            SELECT l.* FROM {LINKS} l
            WHERE l.x_id = b.link_x_id AND l.network = %(network)s AND {audience}
            ORDER BY l.confidence DESC, l.last_verified DESC, l.id
            LIMIT {OTHER_CANDIDATES_SHOWN} OFFSET 1) l), '') ELSE '' END,
    b.how_many,
    CASE WHEN b.confidence >= %(auto)s THEN 'accepted' ELSE 'pending' END, NULL,
    CASE WHEN b.confidence >= %(auto)s THEN %(now)s ELSE NULL END, %(now)s
FROM candidate b
WHERE b.cand_rank = 1
{UPSERT if upsert else ""}"""


@dataclass
class MatchSummary:
    relations: int = 0
    matched: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_band: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "relations": self.relations,
            "matched": self.matched,
            "by_source": self.by_source,
            "by_band": self.by_band,
        }


PARALLEL_MIN_RELATIONS = 20_000
MAX_PARTS = 4


def _prepare(cursor: Any) -> None:
    if connection.vendor == "postgresql":
        # The candidates' sort for 100k relations needs ~20 MB: in memory, not on disk.
        cursor.execute(f"SET LOCAL work_mem = '{MATCH_WORK_MEM}'")
        # Index probes, not a long scan: compiling the plan (~60 ms measured) gains nothing.
        cursor.execute("SET LOCAL jit = off")


def _insert(cursor: Any, params: dict[str, Any], fresh: bool, in_parts: bool = False) -> bool:
    """Write the matches; says whether it was a first matching after all.

    A first matching inserts without ON CONFLICT, whose speculative insertion costs every row
    one more probe of the unique index and one more WAL record; a match another worker
    inserted meanwhile (incremental matching) makes it fall back to the upsert."""
    try:
        with transaction.atomic():
            cursor.execute(_match_sql(upsert=not fresh, in_parts=in_parts), params)
    except IntegrityError:
        if not fresh:
            raise
        cursor.execute(_match_sql(in_parts=in_parts), params)
        return False
    return fresh


def _relations(archive: ArchiveImport, kind: str) -> int:
    return Relation.objects.filter(source_account_id=archive.source_account_id, kind=kind).count()


def _parts(archive: ArchiveImport, kind: str) -> int:
    """On PostgreSQL, a large import's relations are matched in parts, one connection each,
    at once: the INSERT … SELECT runs on one core (PostgreSQL 15 does not parallelise an
    INSERT), and writing the matches into their indexes is most of it. Measured on 2 cores,
    100k relations against 6M links: 1.6–2.2 s in one statement, 1.0–1.2 s in two parts.
    Not for small imports, where a connection each costs more than it saves."""
    parts = min(os.cpu_count() or 1, MAX_PARTS)
    if connection.vendor != "postgresql" or parts < 2:
        return 1
    return parts if _relations(archive, kind) >= PARALLEL_MIN_RELATIONS else 1


READ_AHEAD = f"""
SELECT count(*), sum(length(l.evidence)) FROM (
    SELECT remote_id FROM {RELATIONS} WHERE source_account_id = ? AND kind = ?
    ORDER BY remote_id LIMIT ? OFFSET ?) r
JOIN {LINKS} l ON l.x_id = r.remote_id AND l.network = ?"""
"""The matching's join, read-only: the index probes and the links' rows that the statement
reads, for one share of the relations in the order the statement walks them (by X id)."""


def _read_ahead(archive: ArchiveImport, network: str, kind: str) -> Any:
    """On SQLite, a large import's pages are read ahead while its one statement runs, by
    `readahead.READERS` readers, each on an equal share of the relations."""
    if readahead.database_file() is None:
        return nullcontext()
    relations = _relations(archive, kind)
    if relations < PARALLEL_MIN_RELATIONS:
        return nullcontext()
    share = -(-relations // readahead.READERS)
    scope = [archive.source_account_id, kind, share]
    return readahead.read_ahead(
        READ_AHEAD,
        [[*scope, share * reader, network] for reader in range(readahead.READERS)],
    )


def _insert_in_parts(params: dict[str, Any], fresh: bool, parts: int) -> bool:
    """Each part commits on its own connection: a worker killed between parts leaves some
    matches written, and the job's next attempt recomputes them all (an upsert)."""
    outcomes: list[bool] = []
    failures: list[BaseException] = []

    def run(part: int) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _prepare(cursor)
                outcomes.append(
                    _insert(cursor, {**params, "part": part, "parts": parts}, fresh, True)
                )
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(part,)) for part in range(parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return all(outcomes)


def compute_matches(
    archive: ArchiveImport,
    network: str,
    kind: str = Relation.Kind.FOLLOWING,
    now: datetime | None = None,
    in_parts: bool = False,
) -> MatchSummary:
    """(Re)compute the matches of `archive`'s relations of `kind` on `network`.

    `in_parts`: allow the work to be shared with other connections (see `_parts` and
    `_read_ahead`), when the relations are committed (other connections would not see rows of
    the caller's transaction): the matching job and the command line."""
    limits = thresholds()
    when = connection.ops.adapt_datetimefield_value(now or timezone.now())
    params: dict[str, Any] = {
        "import": archive.pk,
        "network": network,
        "kind": kind,
        "account": archive.source_account_id,
        "auto": limits.auto,
        "review": limits.review,
        "now": when,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        _prepare(cursor)
        cursor.execute(
            f"SELECT 1 FROM {MATCHES} WHERE archive_import_id = %s AND network = %s "
            "AND kind = %s LIMIT 1",
            [archive.pk, network, kind],
        )
        fresh = cursor.fetchone() is None
        parts = _parts(archive, kind) if in_parts else 1
        if parts > 1:
            fresh = _insert_in_parts(params, fresh, parts)
        else:
            with _read_ahead(archive, network, kind) if in_parts else nullcontext():
                fresh = _insert(cursor, params, fresh)
        if not fresh:  # a fresh matching has no stale match to remove
            cursor.execute(
                f"DELETE FROM {MATCHES} WHERE archive_import_id = %s AND network = %s "
                "AND kind = %s AND decided_by_id IS NULL AND computed_at <> %s",
                [archive.pk, network, kind, when],
            )
        tallies.refresh(archive.pk, network, kind)
    return summarise(archive, network, kind)


def summarise(archive: ArchiveImport, network: str, kind: str) -> MatchSummary:
    relations = Relation.objects.filter(
        source_account_id=archive.source_account_id, kind=kind
    ).count()
    scope = {"network": network, "kind": kind}
    tallied = tallies.ImportTallies(archive.pk)
    bands = tallied.counts("band", **scope)
    by_source = tallied.counts("source", band__in=[Band.AUTO, Band.REVIEW], **scope)
    auto, review = bands.get(Band.AUTO, 0), bands.get(Band.REVIEW, 0)
    return MatchSummary(
        relations=relations,
        matched=auto + review,
        by_source=by_source,
        by_band={"auto": auto, "review": review, "none": relations - auto - review},
    )


__all__ = ["Decision", "MatchSummary", "compute_matches", "summarise"]
