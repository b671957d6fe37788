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


def update_rows(model: type[Model], fields: Sequence[str], objects: Sequence[Model]) -> None:
    """Write `fields` (and `updated_at`, when the model has one) of `objects` at once, in one
    transaction: one prepared UPDATE run for every object (`executemany`). The ORM's
    `bulk_update` builds a CASE per column and row, and cost more than the network call such a
    write guards (measured on the follow migration's items)."""
    if not objects:
        return
    from django.db import transaction
    from django.utils import timezone

    quote = connection.ops.quote_name
    names = [*fields]
    stamped = any(f.name == "updated_at" for f in model._meta.concrete_fields)
    assignments = ", ".join(
        f"{quote(name)} = %s" for name in [*names, *(["updated_at"] if stamped else [])]
    )
    table = quote(model._meta.db_table)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608 - names from the model
    extra = [connection.ops.adapt_datetimefield_value(timezone.now())] if stamped else []
    columns = list(
        zip(names, [_column_value(model._meta.get_field(n)) for n in names], strict=True)
    )
    rows = [
        [*(value(getattr(obj, name)) for name, value in columns), *extra, obj.pk] for obj in objects
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# Values the database driver takes as they are, for fields that store them unchanged: the
# field's own preparation (a few calls a value) is skipped for them, which was a third of the
# follow migration's bookkeeping. Anything else (an enum member, a bool, a date, JSON) is
# prepared by the field.
_TEXT = (str, type(None))
_WHOLE = (int, type(None))
_STORED_AS_IS = {
    "CharField": _TEXT,
    "TextField": _TEXT,
    "IntegerField": _WHOLE,
    "PositiveIntegerField": _WHOLE,
    "PositiveSmallIntegerField": _WHOLE,
    "SmallIntegerField": _WHOLE,
    "BigIntegerField": _WHOLE,
    "PositiveBigIntegerField": _WHOLE,
}


def _column_value(field: Any) -> Any:
    """A function turning a value of `field` into what its column stores."""
    prepare = field.get_db_prep_save
    as_is = _STORED_AS_IS.get(field.get_internal_type(), ())

    def value_of(value: Any) -> Any:
        return value if type(value) in as_is else prepare(value, connection)

    return value_of
