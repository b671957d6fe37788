# ruff: noqa: S608 - SQL is built from constant table names; values always go as parameters
"""Set-based writes of identity links: merge staged rows in key order, set weaker assertions aside.

Why this shape: a per-row upsert into a 5M-row unique index is a random B-tree insert each time.
Rows are staged in an unindexed table (see `staging.py`), then merged with one
INSERT … SELECT … ORDER BY key ON CONFLICT DO UPDATE, so the index is walked in order. Both
SQLite (≥ 3.24) and PostgreSQL.

A link holds one assertion, the best; the other sources' go to LinkObservation (models.py).
The merge cannot write to a second table, so its DO UPDATE leaves the assertion that does not
stay on the link — the one it displaces, or its own when weaker — in the link's `aside_*`
columns, and `_move_aside` then moves those (a partial index finds them) into observations,
in the same transaction. A source's first import of millions of links writes one row each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from envol.crosswalk import tallies
from envol.crosswalk.staging import STAGING, StagedLink, create_temporary, stage

__all__ = [
    "MergeResult",
    "Part",
    "StagedLink",
    "analyse",
    "forget",
    "merge_links",
    "merge_staged",
    "merged_among",
    "staged_condition",
]

LINKS = "crosswalk_identitylink"
OBSERVATIONS = "crosswalk_linkobservation"
MATCHES = "crosswalk_match"
FORGET = "crosswalk_forget"
MERGE_WORK_MEM = "256MB"
# (assertion column on the link, aside column on the link, column of an observation)
ASSERTION = (
    ("source", "aside_source", "source"),
    ("organisation_id", "aside_organisation_id", "organisation_id"),
    ("evidence", "aside_evidence", "evidence"),
    ("confidence", "aside_confidence", "confidence"),
    ("first_seen", "aside_first_seen", "first_seen"),
    ("last_verified", "aside_last_seen", "last_seen"),
)


@dataclass(frozen=True)
class MergeResult:
    imported: int  # links that did not exist before
    updated: int  # existing links observed again


@dataclass(frozen=True)
class Part:
    """The staged rows of the file's lines `after` < line ≤ `until` whose X id is in
    [`low`, `high`) (None: unbounded): one half of a chunk, merged in a transaction of its own
    (see `halves.py`)."""

    after: int
    until: int
    low: int | None = None
    high: int | None = None

    def x_condition(self) -> tuple[str, list[Any]]:
        """SQL over an `x_id` column: the part's X ids."""
        sql, params = ["true"], []
        if self.low is not None:
            sql.append("x_id >= %s")
            params.append(self.low)
        if self.high is not None:
            sql.append("x_id < %s")
            params.append(self.high)
        return " AND ".join(sql), params

    def row_condition(self) -> tuple[str, list[Any]]:
        """SQL over staged rows (`row_no`, `x_id`): the part's rows."""
        sql, params = self.x_condition()
        return f"row_no > %s AND row_no <= %s AND {sql}", [self.after, self.until, *params]

    def shares_lines_with(self, other: Part) -> bool:
        return self.after < other.until and other.after < self.until

    def as_json(self) -> dict[str, Any]:
        return {"after": self.after, "until": self.until, "low": self.low, "high": self.high}

    @classmethod
    def of_json(cls, value: dict[str, Any]) -> Part:
        return cls(value["after"], value["until"], value["low"], value["high"])


def merged_among(merged: Sequence[Part], after: int, until: int) -> list[Part]:
    """The parts `merged` before an interruption that hold lines `after` < line ≤ `until`."""
    lines = Part(after, until)
    return [part for part in merged if part.shares_lines_with(lines)]


def staged_condition(part: Part | None, merged: Sequence[Part]) -> tuple[str, list[Any]]:
    """SQL over staged rows: those of `part` (all when None), less those of parts `merged`
    before an interruption."""
    sql, params = part.x_condition() if part else ("true", [])
    for done in merged:
        skip, skip_params = done.row_condition()
        sql += f" AND NOT ({skip})"
        params += skip_params
    return sql, params


def _db_now(now: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(now)


def _deduplicated(table: str, where: str) -> str:
    """The staged rows `where` says, the last occurrence of each key winning. PostgreSQL refuses
    to update a row twice in one statement; SQLite applies duplicates in order (row_no sorts
    last wins). The WHERE also tells SQLite's parser that ON CONFLICT is the upsert's."""
    if connection.vendor == "postgresql":
        return (
            f"(SELECT DISTINCT ON (x_id, network, remote_id) * FROM {table} WHERE {where} "
            "ORDER BY x_id, network, remote_id, row_no DESC) AS s WHERE true"
        )
    return f"{table} AS s WHERE {where}"


def _merge_order() -> str:
    """Key order (the index is walked in order). On PostgreSQL the deduplicated rows come out
    of DISTINCT ON already in it: naming row_no too would sort them a second time."""
    if connection.vendor == "postgresql":
        return "s.x_id, s.network, s.remote_id"
    return "s.x_id, s.network, s.remote_id, s.row_no"


def _prepare_merge(cursor: Any, table: str) -> None:
    """PostgreSQL: memory for the merge's sort of a million rows (4 MB by default: it would
    sort on disk), for this transaction only. No ANALYZE of the staged rows: the merge reads
    them in one sequential scan and sort, with no join whose plan statistics could change
    (it cost seconds a chunk, measured on a durable cluster)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL work_mem = '{MERGE_WORK_MEM}'")


def _merge_sql(table: str, where: str = "true") -> str:
    link, new = LINKS, "excluded"
    same = f"{new}.source = {link}.source"
    # The incoming assertion takes the link over when at least as confident, or from itself.
    wins = f"({new}.confidence >= {link}.confidence OR {same})"
    sets = [
        f"{c} = CASE WHEN {new}.{c} <> '' THEN {new}.{c} ELSE {link}.{c} END"
        for c in ("x_handle", "remote_handle", "remote_url")
    ]
    for held, aside, _ in ASSERTION:
        # From itself: nothing set aside (keep what an earlier row of this statement set).
        sets.append(
            f"{aside} = CASE WHEN {same} THEN {link}.{aside} WHEN {wins} THEN {link}.{held} "
            f"ELSE {new}.{held} END"
        )
    sets += [
        f"{c} = CASE WHEN {wins} THEN {new}.{c} ELSE {link}.{c} END"
        for c in ("source", "organisation_id", "evidence", "confidence")
    ]
    sets.append(f"last_verified = {new}.last_verified")
    return (
        f"INSERT INTO {LINKS} (x_id, x_handle, network, remote_id, remote_handle, remote_url, "
        "source, organisation_id, evidence, confidence, first_seen, last_verified) "
        "SELECT s.x_id, s.x_handle, s.network, s.remote_id, s.remote_handle, s.remote_url, "
        "%s, %s, s.evidence, s.confidence, %s, %s "
        f"FROM {_deduplicated(table, where)} "
        f"ORDER BY {_merge_order()} "
        "ON CONFLICT (x_id, network, remote_id) DO UPDATE SET " + ", ".join(sets)
    )


def _move_aside(cursor: Any, source: str) -> None:
    """Observations from the assertions the merge set aside; `source`'s own observation goes
    where its assertion took a link over."""
    aside = ", ".join(a for _, a, _ in ASSERTION)
    observed = ", ".join(o for _, _, o in ASSERTION)
    cursor.execute(
        f"INSERT INTO {OBSERVATIONS} (link_id, {observed}) SELECT id, {aside} FROM {LINKS} "
        "WHERE aside_source IS NOT NULL "
        "ON CONFLICT (link_id, source) DO UPDATE SET organisation_id = excluded.organisation_id, "
        "evidence = excluded.evidence, confidence = excluded.confidence, "
        "last_seen = excluded.last_seen"
    )
    cursor.execute(
        f"DELETE FROM {OBSERVATIONS} WHERE source = %s AND link_id IN "
        f"(SELECT id FROM {LINKS} WHERE aside_source IS NOT NULL AND source = %s)",
        [source, source],
    )
    cursor.execute(
        f"UPDATE {LINKS} SET "
        + ", ".join(f"{a} = NULL" for _, a, _ in ASSERTION)
        + " WHERE aside_source IS NOT NULL"
    )


def merge_staged(
    cursor: Any,
    table: str,
    staged: int | None,
    source: str,
    *,
    organisation_id: int | None = None,
    now: datetime | None = None,
    part: Part | None = None,
    merged: Sequence[Part] = (),
) -> MergeResult:
    """Merge the `staged` rows of `table` as asserted by `source`, in the caller's transaction:
    only those of `part` if given, none of the parts `merged` before an interruption (`staged`
    None: they are counted here).

    `updated` counts the rows that named a link which already existed, one named twice in a
    file included (counting distinct keys would sort the rows once more)."""
    where, params = staged_condition(part, merged)
    if staged is None:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
        staged = int(cursor.fetchone()[0])
    if not staged:
        return MergeResult(0, 0)
    when = _db_now(now or timezone.now())
    _prepare_merge(cursor, table)
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {LINKS}")
    (last_before,) = cursor.fetchone()
    cursor.execute(_merge_sql(table, where), [source, organisation_id, when, when, *params])
    # New links have ids above the largest one before the merge (ids only grow); the other
    # half of a chunk, merged at the same time, has X ids of its own. (Counting the rows
    # the merge returns as inserted was no faster, measured.)
    mine, mine_params = part.x_condition() if part else ("true", [])
    cursor.execute(
        f"SELECT COUNT(*) FROM {LINKS} WHERE id > %s AND first_seen = %s AND {mine}",
        [last_before, when, *mine_params],
    )
    new = int(cursor.fetchone()[0])
    if new < staged:  # some rows met a link: only then may something be set aside
        _move_aside(cursor, source)
    return MergeResult(imported=new, updated=staged - new)


def merge_links(
    rows: Iterable[StagedLink],
    source: str,
    *,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> MergeResult:
    """Upsert `rows` as asserted by `source`, in one transaction (the small sources)."""
    with transaction.atomic(), connection.cursor() as cursor:
        create_temporary(cursor)
        try:
            rows = list(rows)
            stage(cursor, rows)
            return merge_staged(
                cursor, STAGING, len(rows), source, organisation_id=organisation_id, now=now
            )
        finally:
            cursor.execute(f"DROP TABLE {STAGING}")


def forget(
    source: str,
    *,
    organisation_id: int | None = None,
    link_ids: Sequence[int] | None = None,
) -> int:
    """Remove what `source` asserted (optionally: only for one organisation, or some links).

    Links no other source asserts disappear, with the matches that point at them; links others
    also assert take the best remaining observation. Returns the assertions removed.
    """
    where = ["source = %s"]
    params: list[Any] = [source]
    if organisation_id is not None:
        where.append("organisation_id = %s")
        params.append(organisation_id)
    ids_params: list[Any] = []
    if link_ids is not None:
        if not link_ids:
            return 0
        ids_params = list(link_ids)
    in_ids = f" AND {{c}} IN ({', '.join(['%s'] * len(ids_params))})" if ids_params else ""
    condition = " AND ".join(where)
    best = (
        f"(SELECT o.{{c}} FROM {OBSERVATIONS} o WHERE o.link_id = {LINKS}.id "
        "ORDER BY o.confidence DESC, o.last_seen DESC LIMIT 1)"
    )
    promoted = ", ".join(
        f"{held} = {best.format(c=observed)}" for held, _, observed in ASSERTION[:4]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {OBSERVATIONS} WHERE {condition}{in_ids.format(c='link_id')}",
            params + ids_params,
        )
        removed = cursor.rowcount
        cursor.execute(f"DROP TABLE IF EXISTS {FORGET}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FORGET} (link_id bigint PRIMARY KEY)")
        cursor.execute(
            f"INSERT INTO {FORGET} SELECT id FROM {LINKS} WHERE {condition}"
            + in_ids.format(c="id"),
            params + ids_params,
        )
        removed += cursor.rowcount
        mine = f"id IN (SELECT link_id FROM {FORGET})"
        # Another source's observation takes the link over; it is then the link's own.
        cursor.execute(
            f"UPDATE {LINKS} SET {promoted} WHERE {mine} AND EXISTS "
            f"(SELECT 1 FROM {OBSERVATIONS} o WHERE o.link_id = {LINKS}.id)"
        )
        cursor.execute(
            f"DELETE FROM {OBSERVATIONS} WHERE link_id IN (SELECT link_id FROM {FORGET}) AND "
            f"source = (SELECT l.source FROM {LINKS} l WHERE l.id = {OBSERVATIONS}.link_id)"
        )
        orphans = f"{mine} AND source = %s"
        orphaned = f"link_id IN (SELECT id FROM {LINKS} WHERE {orphans})"
        cursor.execute(
            f"SELECT DISTINCT archive_import_id FROM {MATCHES} WHERE {orphaned}", [source]
        )
        touched = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {MATCHES} WHERE {orphaned}", [source])
        tallies.refresh_imports(touched)
        cursor.execute(f"DELETE FROM {LINKS} WHERE {orphans}", [source])
        cursor.execute(f"DROP TABLE {FORGET}")
    return int(removed)


def analyse() -> None:
    """After a bulk load on PostgreSQL, fresh statistics of the crosswalk: the planner of the
    next matching otherwise knows the table as it was before millions of rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {LINKS}")
            cursor.execute(f"ANALYZE {OBSERVATIONS}")
