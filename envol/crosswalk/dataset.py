"""Reading crosswalk datasets (CSV or JSON Lines) into validated rows, streaming, in batches.

Each data row names an X account and its Bluesky and/or Mastodon account; a malformed row is
rejected with its line number and the reason, the rest of the file still imports.

Why batches and columns: public datasets hold millions of rows, and checking each cell with a
Python call costs more than the database's own work. A batch is checked column by column —
one regular expression over a whole column joined by newlines — against the canonical forms
clean files use; a batch where any cell is not canonical goes through `validate_row`, row by
row, which accepts the same values (and the looser spellings) and gives each rejection its
reason. Both paths produce the same links. Likewise a CSV file is read by blocks, and a plain
block (no quote, every line a whole row) is split by str methods, not parsed by the csv module.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, islice, repeat
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

import orjson

from envol.crosswalk import identifiers as ids
from envol.crosswalk.staging import StagedLink

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

COLUMNS = (
    "x_id",
    "x_handle",
    "bluesky_handle",
    "bluesky_did",
    "mastodon_account",
    "evidence",
    "confidence",
)
EVIDENCE_MAX = 500
ERRORS_KEPT = 1000
BATCH_ROWS = 10_000
BLOCK_CHARS = 1 << 20  # read at a time from a CSV file: about 10,000 rows

# One row's values in COLUMNS order; a str instead is the reason the row could not be read.
Values = tuple[str, ...]
RowError = tuple[int, str]


class DatasetError(Exception):
    """The whole file cannot be read: the message names the file and what to do."""


@dataclass
class Rejections:
    """Rejected rows: all counted, the first ERRORS_KEPT kept with their reason."""

    count: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, row: int, reason: str) -> None:
        self.count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append((row, reason))


@dataclass
class RowBatch:
    """Rows read from the file, column-wise: one sequence of cells per entry of COLUMNS (all
    as long as `lines`, the rows' line numbers), the rows that could not be read, and the last
    line of the file the batch covers."""

    lines: list[int]
    columns: tuple[Sequence[str], ...]
    unreadable: list[RowError] = field(default_factory=list)
    last_line: int = 0

    @classmethod
    def of_rows(
        cls,
        lines: list[int],
        rows: Sequence[Sequence[str]],
        picked: Sequence[int],
        unreadable: list[RowError],
        last_line: int = 0,
    ) -> RowBatch:
        """`rows` of equal width; `picked`: the index of each of COLUMNS (past the end: absent)."""
        read = list(zip(*rows, strict=True)) if rows else []
        absent = ("",) * len(rows)
        columns = tuple(read[i] if i < len(read) else absent for i in picked)
        return cls(lines, columns, unreadable, last_line)


class ReadBatch(NamedTuple):
    links: list[StagedLink]
    last_line: int  # the file's last line read so far: where a resumed import starts again


def validate_row(row_no: int, values: Values, default_confidence: float) -> list[StagedLink]:
    """The links one row asserts (values in COLUMNS order); raises InvalidIdentifier."""
    raw_xid, raw_handle, raw_bsky, raw_did, raw_masto, evidence, raw_conf = values
    xid = ids.x_id(raw_xid)
    handle = ids.x_handle(raw_handle) if raw_handle else ""
    conf = ids.confidence(raw_conf) if raw_conf else default_confidence
    if "\0" in evidence:  # PostgreSQL refuses it in text
        raise ids.InvalidIdentifier("evidence holds a NUL character: remove it")
    if len(evidence) > EVIDENCE_MAX:
        evidence = evidence[:EVIDENCE_MAX]
    links: list[StagedLink] = []
    if raw_did:
        if not ids.DID.fullmatch(raw_did):
            ids.did(raw_did)  # raises with the reason, or accepts surrounding spaces
        bsky = ids.bluesky_handle(raw_bsky) if raw_bsky else ""
        links.append((row_no, xid, handle, ids.BLUESKY, raw_did.strip(), bsky, "", evidence, conf))
    elif raw_bsky:
        raise ids.InvalidIdentifier(
            "bluesky_handle without bluesky_did: add the DID (a handle can change, a DID does not)"
        )
    if raw_masto:
        acct = ids.mastodon_account(raw_masto)
        links.append(
            (row_no, xid, handle, ids.MASTODON, acct.acct, acct.acct, acct.url, evidence, conf)
        )
    if not links:
        raise ids.InvalidIdentifier("neither bluesky_did nor mastodon_account is given")
    return links


# --- the column-wise path: canonical cells only ------------------------------------------------


def _column_pattern(cell: str) -> re.Pattern[str]:
    """Matches a column joined by newlines when every cell matches `cell` (or is empty)."""
    one = f"(?:{cell})?"
    return re.compile(f"{one}(?:\n{one})*")


# ids.DOMAIN with possessive repeats: the same names, without its backtracking (5× faster).
_LABEL = r"(?![a-z0-9-]{64})[a-z0-9]++(?:-++[a-z0-9]++)*+"
_DOMAIN = rf"(?:{_LABEL}\.)++(?![a-z0-9-]{{64}})[a-z][a-z0-9]*+(?:-++[a-z0-9]++)*+"
_CANONICAL = {
    "x_id": _column_pattern(r"[0-9]{1,19}"),
    "x_handle": _column_pattern(r"[A-Za-z0-9_]{1,15}"),
    "bluesky_did": _column_pattern(ids.DID.pattern),
    "bluesky_handle": _column_pattern(_DOMAIN),
    "mastodon_account": _column_pattern(r"[a-z0-9_]++(?:[.-]++[a-z0-9_]++)*+@" + _DOMAIN),
}
_LONGEST = {"bluesky_handle": 253, "mastodon_account": 300}


def _canonical(name: str, column: Sequence[str]) -> bool:
    joined = "\n".join(column)
    if joined.count("\n") != len(column) - 1:  # a cell holding a line break
        return False
    if name in _LONGEST and max(map(len, column)) > _LONGEST[name]:
        return False
    return _CANONICAL[name].fullmatch(joined) is not None


def _confidences(column: Sequence[str], default: float) -> Sequence[float] | None:
    if not any(column):
        return list(repeat(default, len(column)))
    try:
        values = [float(c) if c else default for c in column]
    except ValueError:
        return None
    return values if all(0.0 <= v <= 1.0 for v in values) else None


def _mastodon_url(acct: str) -> str:
    user, _, domain = acct.partition("@")
    return f"https://{domain}/@{user}"


def _validate_columns(batch: RowBatch, default_confidence: float) -> list[StagedLink] | None:
    """The links of a batch whose cells are all canonical, or None (then: row by row)."""
    columns = dict(zip(COLUMNS, batch.columns, strict=True))
    if "" in columns["x_id"] or not all(
        _canonical(name, columns[name])
        for name in _CANONICAL
        if name == "x_id" or any(columns[name])
    ):
        return None
    x_ids = list(map(int, columns["x_id"]))
    if max(x_ids) > ids.X_ID_MAX:
        return None
    dids, bsky_handles, accts = (
        columns["bluesky_did"],
        columns["bluesky_handle"],
        columns["mastodon_account"],
    )
    if "" in dids and any(
        (handle and not did) or not (did or acct)
        for did, handle, acct in zip(dids, bsky_handles, accts, strict=True)
    ):
        return None  # a handle without its DID, or a row naming no account
    confidences = _confidences(columns["confidence"], default_confidence)
    if confidences is None:
        return None
    evidence: Sequence[str] = columns["evidence"]
    if "\0" in "".join(evidence):
        return None
    if max(map(len, evidence)) > EVIDENCE_MAX:
        evidence = [e[:EVIDENCE_MAX] for e in evidence]
    lines, handles = batch.lines, columns["x_handle"]
    bluesky = zip(
        lines,
        x_ids,
        handles,
        repeat(ids.BLUESKY),
        dids,
        bsky_handles,
        repeat(""),
        evidence,
        confidences,
    )
    links: list[StagedLink] = list(compress(bluesky, dids)) if "" in dids else list(bluesky)
    if any(accts):
        mastodon = compress(
            zip(lines, x_ids, handles, accts, evidence, confidences, strict=True), accts
        )
        links += [
            (row, x_id, handle, ids.MASTODON, acct, acct, _mastodon_url(acct), why, conf)
            for row, x_id, handle, acct, why, conf in mastodon
        ]
    return links


def validate_batch(
    batch: RowBatch, default_confidence: float
) -> tuple[list[StagedLink], list[RowError]]:
    """The links of a batch and its rejected rows (in line order)."""
    errors = list(batch.unreadable)
    links = _validate_columns(batch, default_confidence) if batch.lines else []
    if links is None:
        links = []
        for row_no, values in zip(batch.lines, zip(*batch.columns, strict=True), strict=True):
            try:
                links += validate_row(row_no, values, default_confidence)
            except ids.InvalidIdentifier as exc:
                errors.append((row_no, str(exc)))
    return links, sorted(errors)


# --- readers ------------------------------------------------------------------------------------


def _line_breaks(row: list[str]) -> int:
    return sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in row)


def _csv_batches(text: IO[str], name: str, after_line: int = 0) -> Iterator[RowBatch]:
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip().lower() for h in header]
    if "x_id" not in header:
        raise DatasetError(
            f"{name}, line 1: no x_id column. The header must name the columns, e.g. "
            + ",".join(COLUMNS)
        )
    width = len(header)
    picked = [header.index(c) if c in header else width for c in COLUMNS]
    while reader.line_num < after_line and next(reader, None) is not None:
        pass  # already imported: parsed (to count lines in quoted cells), not checked
    line, tail = reader.line_num, ""
    while True:
        read = text.read(BLOCK_CHARS)
        block, tail = _whole_lines(tail + read, at_end=not read)
        if not block:
            if not read:
                return
            if len(tail) <= BLOCK_CHARS:
                continue  # a line longer than a block: read on
        if not block or '"' in block:
            # Quoted cells, which may hold line breaks, or no \n in a whole block (lines ended
            # by \r alone): the csv module reads the rest of the file.
            start = io.StringIO(_with_whole_line(block + tail, text), newline="")
            rest = csv.reader(chain(start, text))
            yield from _reader_batches(rest, width, picked, line)
            return
        batches = _plain_batches(block, width, picked, line)
        if batches:
            line = batches[-1].last_line
            yield from batches
            continue
        lines = csv.reader(io.StringIO(block, newline=""))  # blank, short or long rows
        yield from _reader_batches(lines, width, picked, line)
        line += lines.line_num


def _whole_lines(text: str, at_end: bool) -> tuple[str, str]:
    """`text` cut after its last line break: (whole lines, the start of the next line)."""
    if at_end:
        return text, ""
    cut = text.rfind("\n") + 1
    return text[:cut], text[cut:]


def _with_whole_line(start: str, text: IO[str]) -> str:
    """`start` and the rest of its last line from `text`, so that the csv module, reading
    `start` then `text`, counts the lines of the file (a line in two pieces would count two)."""
    while start.endswith("\r"):  # a \r\n may be cut in two
        following = text.read(1)
        start += following
        if following != "\r":
            break
    if start and not start.endswith(("\n", "\r")):
        start += text.readline()
    return start


def _plain_batches(block: str, width: int, picked: list[int], line: int) -> list[RowBatch]:
    """The rows of `block` (whole lines after line `line`) when every line is a row of `width`
    cells and nothing is quoted, split by str methods — several times faster than the csv
    module, which reads the other blocks; [] otherwise."""
    if "\r" in block:
        if block.count("\r") != block.count("\r\n"):
            return []  # a lone carriage return ends a line for the csv module
        block = block.replace("\r\n", "\n")
    rows = block.split("\n")
    if not rows[-1]:
        rows.pop()
    if "" in rows or set(map(str.count, rows, repeat(","))) != {width - 1}:
        return []  # a blank line (the csv module skips it), or a row short or long
    batches = []
    for start in range(0, len(rows), BATCH_ROWS):
        cells = ",".join(rows[start : start + BATCH_ROWS]).split(",")
        count = len(cells) // width
        absent = ("",) * count
        columns = tuple(cells[i::width] if i < width else absent for i in picked)
        first = line + start + 1
        batches.append(RowBatch(list(range(first, first + count)), columns, [], first + count - 1))
    return batches


def _reader_batches(
    reader: CsvReader, width: int, picked: list[int], offset: int
) -> Iterator[RowBatch]:
    """Batches of the rows a csv reader reads, its line numbers shifted by `offset`."""
    while True:
        before = reader.line_num
        raw = list(islice(reader, BATCH_ROWS))
        if not raw:
            return
        after = reader.line_num
        lines = _line_numbers(raw, offset + before, offset + after)
        if set(map(len, raw)) == {width}:
            yield RowBatch.of_rows(lines, raw, picked, [], offset + after)
            continue
        kept_lines, kept, unreadable = [], [], []
        for line, row in zip(lines, raw, strict=True):
            if not row:
                continue
            if len(row) > width:
                unreadable.append((line, f"{len(row)} cells where the header has {width}"))
                continue
            kept_lines.append(line)
            kept.append(row + [""] * (width - len(row)))
        yield RowBatch.of_rows(kept_lines, kept, picked, unreadable, offset + after)


def _line_numbers(rows: list[list[str]], before: int, last: int) -> list[int]:
    """The line number of each row (of its last line, as the csv module counts), the rows
    having been read from line `before` + 1 to line `last`."""
    if last - before == len(rows):  # one line per row: the usual case
        return list(range(before + 1, last + 1))
    lines = []
    for row in rows:  # line breaks inside quoted cells
        before += 1 + _line_breaks(row)
        lines.append(before)
    return lines


def _jsonl_batches(text: IO[str], name: str, after_line: int = 0) -> Iterator[RowBatch]:
    every_column = range(len(COLUMNS))
    lines: list[int] = []
    rows: list[Sequence[str]] = []
    unreadable: list[RowError] = []
    line_no = after_line
    for line_no, line in enumerate(text, start=1):
        if line_no <= after_line or not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            unreadable.append((line_no, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(value, dict):
            unreadable.append((line_no, "not a JSON object"))
            continue
        lines.append(line_no)
        rows.append(tuple("" if value.get(c) is None else str(value[c]).strip() for c in COLUMNS))
        if len(rows) >= BATCH_ROWS:
            yield RowBatch.of_rows(lines, rows, every_column, unreadable, line_no)
            lines, rows, unreadable = [], [], []
    if rows or unreadable or line_no > after_line:
        yield RowBatch.of_rows(lines, rows, every_column, unreadable, line_no)


def is_json_lines(path: Path) -> bool:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return True
    if path.suffix.lower() == ".csv":
        return False
    with path.open("rb") as fh:
        return fh.read(64).lstrip().startswith(b"{")


def read_dataset(
    path: Path,
    default_confidence: float,
    rejections: Rejections,
    progress: Callable[[int], None] | None = None,
    after_line: int = 0,
) -> Iterator[ReadBatch]:
    """Stream the links of a dataset file in batches, from the line after `after_line`; bad
    rows go to `rejections`, never stop the file."""
    name = path.name
    json_lines = is_json_lines(path)
    read = _jsonl_batches if json_lines else _csv_batches
    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
            for batch in read(text, name, after_line):
                links, errors = validate_batch(batch, default_confidence)
                for row_no, reason in errors:
                    rejections.add(row_no, reason)
                if progress is not None:
                    progress(raw.tell())
                yield ReadBatch(links, batch.last_line)
    except UnicodeDecodeError:
        raise DatasetError(
            f"{name}: not UTF-8 text. Save the file as UTF-8 and import it again."
        ) from None
    except csv.Error as exc:
        raise DatasetError(f"{name}: unreadable CSV ({exc}). Check the quoting.") from None
    except OSError as exc:
        raise DatasetError(f"{name}: cannot be read ({exc.strerror}).") from None
