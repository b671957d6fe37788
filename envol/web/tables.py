"""Data tables that a page shows and exports as CSV from the same rows, so every table a reader
sees can be downloaded exactly (`web/data_table.html` draws one; `csv_response` exports it).

A cell keeps its raw value for the CSV (numbers as numbers, dates in ISO) and its text as the
reader's language writes it for the page. A figure may carry its kind (exact, proxy, absent):
shown as a badge on the page, and as a column of its own in the CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from envol.spreadsheet import safe_cell


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    with_kind: bool = False  # the CSV gets a "<label> — kind" column after this one


@dataclass(frozen=True)
class Cell:
    value: object  # what the CSV holds
    text: str  # what the page shows
    numeric: bool = False
    href: str = ""
    kind: str = ""  # exact | proxy | absent
    kind_label: str = ""  # the kind in the reader's language, shown as a badge
    kind_state: str = ""  # the badge's modifier (proxy: warning)


@dataclass
class DataTable:
    name: str  # the CSV's name and the `csv=` value that asks for it
    caption: str
    columns: Sequence[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = ""  # said in the table when it has no row
    note: str = ""  # said under the table (how a figure is obtained, what is left out)
    shown_rows: int | None = None  # the page shows the first N rows, the CSV all of them
    csv_url: str = ""

    @property
    def visible_rows(self) -> list[list[Cell]]:
        return self.rows if self.shown_rows is None else self.rows[: self.shown_rows]

    @property
    def truncated(self) -> bool:
        return self.shown_rows is not None and len(self.rows) > self.shown_rows

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header: list[str] = []
        for column in self.columns:
            header.append(column.label)
            if column.with_kind:
                header.append(_("%(figure)s — kind") % {"figure": column.label})
        writer.writerow(header)
        for row in self.rows:
            line: list[object] = []
            for column, cell in zip(self.columns, row, strict=True):
                line.append(safe_cell(_csv_value(cell.value)))
                if column.with_kind:
                    line.append(cell.kind)
            writer.writerow(line)
        return out.getvalue()


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        rounded = round(value, 2)
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, date):
        return value.isoformat()
    return value


def number(value: float | None, decimals: int = 0, *, kind: str = "", **badge: str) -> Cell:
    """A figure: grouped by thousands the reader's way; None (no figure) shows as a dash."""
    if value is None:
        return Cell(None, "—", numeric=True, kind=kind, **badge)
    shown = round(value, decimals) if decimals else round(value)
    text = number_format(shown, decimal_pos=decimals or None, force_grouping=True)
    return Cell(value, text, numeric=True, kind=kind, **badge)


def text(value: str, href: str = "") -> Cell:
    return Cell(value, value, href=href)


def day(value: date | None) -> Cell:
    return Cell(value, date_format(value, "SHORT_DATE_FORMAT") if value else "—")


def with_csv_links(tables: Sequence[DataTable], query: dict[str, str]) -> None:
    """Each table's download link: the page's own filters plus `csv=<name>`."""
    for table in tables:
        table.csv_url = "?" + urlencode({**query, "csv": table.name})


def csv_response(tables: Sequence[DataTable], name: str, file_stem: str) -> HttpResponse:
    """The table called `name` as a CSV download (UTF-8 with a BOM, so spreadsheets read the
    accents); 404 for an unknown name."""
    for table in tables:
        if table.name == name:
            response = HttpResponse("\ufeff" + table.csv(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{file_stem}-{name}.csv"'
            return response
    raise Http404
