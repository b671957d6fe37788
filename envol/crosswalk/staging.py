# ruff: noqa: S608 - SQL is built from constant table names; values always go as parameters
"""The staging table: links read from a dataset, before they are merged into the crosswalk.

No Django here: a reader process writes the same table into a SQLite file of its own (see
`chunks.py`), and the web process into a temporary table; both merge the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

# (row_no, x_id, x_handle, network, remote_id, remote_handle, remote_url, evidence, confidence)
StagedLink = tuple[int, int, str, str, str, str, str, str, float]

STAGING = "crosswalk_staging"
COLUMNS = (
    "row_no bigint, x_id bigint, x_handle varchar(50), network varchar(10), "
    "remote_id varchar(300), remote_handle varchar(300), remote_url varchar(500), "
    "evidence text, confidence double precision"
)


def create_sql(temporary: bool) -> str:
    return f"CREATE {'TEMPORARY ' if temporary else ''}TABLE {STAGING} ({COLUMNS})"


def create_temporary(cursor: Any) -> None:
    """A fresh, empty staging table for this connection only."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    cursor.execute(create_sql(temporary=True))


ROWS_PER_INSERT = 100  # × 9 values: within the 999 parameters even old SQLite versions take


def insert_sql(placeholder: str, rows: int = 1) -> str:
    """`placeholder`: `?` for the sqlite3 module, `%s` for a Django cursor."""
    row = f"({', '.join([placeholder] * 9)})"
    return f"INSERT INTO {STAGING} VALUES {', '.join([row] * rows)}"


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COLUMN_COUNT = 9
_COPY_LINE = "\t".join(["%s"] * _COLUMN_COUNT)  # %s writes what str() does


def copy_text(links: Sequence[StagedLink]) -> bytes:
    """`links` in PostgreSQL's COPY text format, for one `copy.write` per batch: psycopg's
    `write_row` costs a Python call per row and value, more than the server's whole COPY
    (measured, bench/matching.py). The batch is formatted in one pass of C loops (a third of
    the time of joining each row's values); only when its text shows a tab, backslash or line
    break inside a value (rare: a handle or an evidence text) are its rows escaped one by one."""
    if not links:
        return b""
    text = "\n".join(map(_COPY_LINE.__mod__, links))
    if (
        text.count("\t") == (_COLUMN_COUNT - 1) * len(links)
        and text.count("\n") == len(links) - 1
        and "\\" not in text
        and "\r" not in text
    ):
        return (text + "\n").encode()
    lines = []
    for link in links:
        line = _COPY_LINE % link
        if line.count("\t") != _COLUMN_COUNT - 1 or "\\" in line or "\n" in line or "\r" in line:
            line = "\t".join(str(value).translate(_COPY_ESCAPES) for value in link)
        lines.append(line)
    lines.append("")
    return "\n".join(lines).encode()


def stage(cursor: Any, links: Sequence[StagedLink], placeholder: str = "%s") -> None:
    """Insert `links`, a hundred rows per statement: a third less time than one per row,
    which matters to the reader process of a large import."""
    whole = len(links) - len(links) % ROWS_PER_INSERT
    if whole:
        many = insert_sql(placeholder, ROWS_PER_INSERT)
        for start in range(0, whole, ROWS_PER_INSERT):
            cursor.execute(many, tuple(chain.from_iterable(links[start : start + ROWS_PER_INSERT])))
    if whole < len(links):
        cursor.executemany(insert_sql(placeholder), links[whole:])
