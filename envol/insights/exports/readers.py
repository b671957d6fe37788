"""Files → tables of cells, with the field's readers: the `csv` module (encoding found from the
byte-order mark, then UTF-8, then `charset-normalizer`) and `python-calamine` for .xls/.xlsx.

Meta's daily files are UTF-16 with a `sep=,` first line (an Excel hint naming the delimiter):
the hint is read and dropped. Memory is bounded: a file larger than `MAX_BYTES` or with more
than `MAX_ROWS` rows is refused before anything is stored.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
SNIFF_BYTES = 64 * 1024
SEP_HINT = re.compile(r'^\ufeff?"?sep=(.)"?\s*$', re.IGNORECASE)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other old Office files)
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

Cell = str | float | int | bool | date | datetime | time | timedelta | None


class ReadError(Exception):
    """The file cannot be read as a table at all (a one-line, user-facing message)."""


@dataclass
class Table:
    """One sheet of a workbook, or the whole of a CSV file."""

    sheet: str
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)  # e.g. the encoding found


def read_tables(path: Path, file_name: str | None = None) -> list[Table]:
    """Every table of the file: one for a CSV file, one per sheet for a workbook."""
    name = file_name or path.name
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ReadError(
            _("%(file)s is %(size)s MB; analytics exports are read up to %(max)s MB.")
            % {"file": name, "size": size // (1024 * 1024), "max": MAX_BYTES // (1024 * 1024)}
        )
    data = path.read_bytes()
    if data.startswith((OLE_MAGIC, ZIP_MAGIC)) or name.lower().endswith((".xls", ".xlsx")):
        return _workbook(data, name)
    return [_csv_table(data, name)]


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding.removesuffix("-sig")
    head = data[:SNIFF_BYTES]
    if head and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a byte-order mark
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else "cp1252"
    return data.decode(encoding, errors="replace"), encoding


def _csv_table(data: bytes, name: str) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise ReadError(_("%(file)s is not a text or spreadsheet file.") % {"file": name})
    first_line, _sep, rest = text.partition("\n")
    hint = SEP_HINT.match(first_line.rstrip("\r"))
    if hint:
        delimiter, text = hint.group(1), rest
    else:
        delimiter = _sniff_delimiter(text[:SNIFF_BYTES])
    rows: list[list[Cell]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise ReadError(
                    _("%(file)s has more than %(max)s rows.") % {"file": name, "max": MAX_ROWS}
                )
            rows.append(list(row))
    except csv.Error as exc:
        raise ReadError(
            _("%(file)s, line %(line)s: %(error)s")
            % {"file": name, "line": reader.line_num, "error": exc}
        ) from None
    return Table("", rows, [f"encoding {encoding}", f"delimiter {delimiter!r}"])


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _workbook(data: bytes, name: str) -> list[Table]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        tables = []
        for sheet in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            if len(rows) > MAX_ROWS:
                raise ReadError(
                    _("%(file)s has more than %(max)s rows.") % {"file": name, "max": MAX_ROWS}
                )
            tables.append(Table(sheet, [list(_cell(c) for c in row) for row in rows]))
        return tables
    except (CalamineError, ValueError, OSError) as exc:
        raise ReadError(
            _("%(file)s cannot be read as a spreadsheet: %(error)s") % {"file": name, "error": exc}
        ) from None


def _cell(value: Any) -> Cell:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # type: ignore[no-any-return]
