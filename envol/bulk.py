"""Fast bulk writes for imports: raw `executemany` through Django's connection.

Building one ORM object per row costs more than parsing the row; imports of hundreds of
thousands of rows therefore write tuples straight to the table, in batches, with the conflict
clause both SQLite (≥ 3.24) and PostgreSQL understand. Callers stay inside a transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection
from django.db.models import Model

BATCH_ROWS = 5000


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterable[list[Sequence[Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    batch_rows: int = BATCH_ROWS,
) -> int:
    """Insert `rows` (tuples in `columns` order) into `model`'s table; return rows attempted.

    With `conflict` (the columns of a unique constraint): rows that already exist are skipped,
    or, with `update`, those columns are overwritten from the new row (an upsert).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    cols = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - names from models
    if conflict:
        target = ", ".join(quote(c) for c in conflict)
        if update:
            sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    total = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows, batch_rows):
            cursor.executemany(sql, batch)
            total += len(batch)
    return total
