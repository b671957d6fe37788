# ruff: noqa: S608 - SQL is built from constant table names; values always go as parameters
"""The counts of an import's matches per (network, kind, band, decision, source), kept up to date.

Why: the review page shows the counts per band, the sources seen and the number of matches for
its filters on every view; counting them from the matches scanned the whole import each time
(~95 ms of SQL for 80k matches). Whatever writes matches — the matching, decisions, takedowns —
refreshes the tallies of what it touched, in its own transaction, with one grouped statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from envol.crosswalk.models import MatchTally

TALLIES = "crosswalk_matchtally"
MATCHES = "crosswalk_match"
GROUP = "network, kind, band, decision, source"
LOCK_CLASS = 7_201  # pg_advisory_xact_lock(class, import id): one recount of an import at a time


def refresh(archive_import_id: int, network: str | None = None, kind: str | None = None) -> None:
    """Recount the matches of one import (optionally: of one network and kind only)."""
    where: list[str] = ["archive_import_id = %s"]
    params: list[Any] = [archive_import_id]
    for column, value in (("network", network), ("kind", kind)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    condition = " AND ".join(where)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Several workers may recount the same import at once (a person's matching, and
            # the incremental matching of someone who joined): without this, both DELETE, both
            # INSERT the same groups and one fails on the unique constraint. Held until commit;
            # the DELETE below then reads what the other committed. (SQLite: one writer.)
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, archive_import_id])
        cursor.execute(f"DELETE FROM {TALLIES} WHERE {condition}", params)
        cursor.execute(
            f"INSERT INTO {TALLIES} (archive_import_id, {GROUP}, count) "
            f"SELECT archive_import_id, {GROUP}, COUNT(*) FROM {MATCHES} "
            f"WHERE {condition} GROUP BY archive_import_id, {GROUP}",
            params,
        )


Group = tuple[Any, ...]  # (import id, network, kind, band, decision, source)


def add(groups: Mapping[Group, int]) -> None:
    """Count new matches into their imports' tallies: one upsert per group. Why not `refresh`:
    the incremental matching of someone many people followed touches as many imports, and
    recounting each one's every match read followers × matches-per-archive rows for a join
    that wrote one match per follower. Rows in key order, so that two writers lock the same
    tallies in the same order."""
    rows = [(*group, n) for group, n in sorted(groups.items()) if n]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {TALLIES} (archive_import_id, {GROUP}, count) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (archive_import_id, network, kind, band, decision, source) "
            f"DO UPDATE SET count = {TALLIES}.count + excluded.count",
            rows,
        )


def refresh_imports(archive_import_ids: Iterable[int]) -> None:
    for archive_import_id in sorted(set(archive_import_ids)):
        refresh(archive_import_id)


class ImportTallies:
    """All the tally rows of one import, read once: a page that shows counts per band, the
    sources seen and its own total sums them here instead of asking once per figure."""

    FIELDS = ("network", "kind", "band", "decision", "source")

    def __init__(self, archive_import_id: int) -> None:
        self.rows = list(
            MatchTally.objects.filter(archive_import_id=archive_import_id).values_list(
                *self.FIELDS, "count"
            )
        )

    def _selected(self, filters: dict[str, Any]) -> Iterable[tuple[Any, ...]]:
        """Rows whose fields equal the filters (`field__in=[…]`: one of the values)."""
        wanted = [
            (
                self.FIELDS.index(name.removesuffix("__in")),
                value if name.endswith("__in") else [value],
            )
            for name, value in filters.items()
        ]
        return (row for row in self.rows if all(row[i] in values for i, values in wanted))

    def counts(self, by: str, **filters: Any) -> dict[str, int]:
        position, found = self.FIELDS.index(by), dict[str, int]()
        for row in self._selected(filters):
            found[row[position]] = found.get(row[position], 0) + row[-1]
        return {value: n for value, n in found.items() if n}

    def total(self, **filters: Any) -> int:
        return sum(row[-1] for row in self._selected(filters))
