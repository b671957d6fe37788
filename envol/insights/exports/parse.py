"""An analytics export → records in envol's names: which platform and file kind it is, where its
header row is, what each column means, and each row's post or day with its values.

Nothing here touches the database: `services.import_export` writes what this returns, or nothing
when it raises `ExportError` (one line naming the file, the columns expected and those found).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from envol.insights.exports import columns as cols
from envol.insights.exports.readers import Cell, ReadError, Table, read_tables
from envol.insights.exports.values import (
    ValueProblem,
    day_first,
    decimal_comma,
    parse_datetime,
    parse_number,
    place_years,
)
from envol.networks.metrics import LEVELS, Metric, Platform

HEADER_SEARCH_ROWS = 15
MAX_WARNINGS = 20
HASHTAG = re.compile(r"(?<![\w&])#(\w{1,100})")
LINKEDIN_URN = re.compile(r"urn:li:(?:activity|share|ugcPost):\d+")
TIKTOK_VIDEO = re.compile(r"/video/(\d+)")


class ExportError(Exception):
    """A file envol cannot import, with what it expected and what it found (for the web's
    mapping form)."""

    def __init__(
        self,
        message: str,
        *,
        headers: Sequence[str] = (),
        signature: str = "",
        candidate: cols.FileKind | None = None,
    ) -> None:
        super().__init__(message)
        self.headers = list(headers)
        self.signature = signature
        self.candidate = candidate


@dataclass(frozen=True)
class Mapping:
    """Columns assigned by hand: the file kind, and envol field → the file's header."""

    file_kind: str
    columns: dict[str, str]


@dataclass
class PostRecord:
    remote_id: str
    published_at: datetime
    url: str = ""
    text: str = ""
    post_type: str = ""
    values: dict[Metric, float] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        return sorted({tag.casefold() for tag in HASHTAG.findall(self.text)})


@dataclass
class DayRecord:
    day: date
    values: dict[Metric, float] = field(default_factory=dict)


@dataclass
class Section:
    """What one table of the file held."""

    file_kind: cols.FileKind
    platform: Platform
    account: str = ""
    posts: list[PostRecord] = field(default_factory=list)
    days: list[DayRecord] = field(default_factory=list)


@dataclass
class ParsedExport:
    file_name: str
    sections: list[Section]
    warnings: list[str]
    signature: str

    @property
    def platform(self) -> Platform:
        return self.sections[0].platform

    @property
    def kind(self) -> str:
        return cols.POSTS if any(s.posts for s in self.sections) else cols.DAILY

    @property
    def file_kind(self) -> cols.FileKind:
        return next(s.file_kind for s in self.sections if s.file_kind.kind == self.kind)


@dataclass
class _Header:
    kind: cols.FileKind
    row: int
    found: dict[str, int]  # envol field → column index
    french: bool

    def score(self, sheet: str) -> tuple[bool, int, bool, int]:
        required = all(c.field in self.found for c in self.kind.required())
        in_sheet = bool(sheet) and cols.normalise(sheet) in {
            cols.normalise(s) for s in self.kind.sheets
        }
        return (required, len(self.found), in_sheet, len(self.kind.required()))

    def complete(self) -> bool:
        return all(c.field in self.found for c in self.kind.required())


def parse_export(
    path: Path,
    file_name: str,
    *,
    platform: str = "auto",
    mapping: Mapping | None = None,
    remembered: Callable[[str], Mapping | None] = lambda signature: None,
    today: date,
    zone: tzinfo,
) -> ParsedExport:
    try:
        tables = [t for t in read_tables(path, file_name) if any(_filled(r) for r in t.rows)]
    except ReadError as exc:
        raise ExportError(str(exc)) from None
    if not tables:
        raise ExportError(_("%(file)s is empty.") % {"file": file_name})
    wanted = None if platform in ("", "auto") else Platform(platform)
    kinds = [k for k in cols.FILE_KINDS if wanted is None or wanted in k.platforms]
    warnings: list[str] = []
    sections: list[Section] = []
    first_signature = ""
    best_failure: tuple[_Header, Table] | None = None
    for table in tables:
        signature, _headers = header_signature(table)
        first_signature = first_signature or signature
        header = _mapped(table, mapping or remembered(signature), kinds)
        if header is None:
            header = _detect(table, kinds)
        if header is None or not header.complete():
            if header is not None and (
                best_failure is None
                or header.score(table.sheet) > best_failure[0].score(best_failure[1].sheet)
            ):
                best_failure = (header, table)
            continue
        sections.append(
            _read_section(table, header, file_name, wanted, warnings, today=today, zone=zone)
        )
    if not sections:
        raise _failure(file_name, tables, best_failure, kinds)
    return ParsedExport(file_name, sections, warnings[:MAX_WARNINGS], first_signature)


def header_signature(table: Table) -> tuple[str, list[str]]:
    """The table's likely header row (the first with the most text cells) and its fingerprint,
    the key of a remembered column mapping."""
    row = _guess_header_row(table)
    headers = (
        [str(c).strip() for c in table.rows[row] if str(c or "").strip()] if table.rows else []
    )
    digest = hashlib.sha256("\x1f".join(cols.normalise(h) for h in headers).encode()).hexdigest()
    return digest, headers


def _guess_header_row(table: Table) -> int:
    counts = [
        sum(1 for c in row if isinstance(c, str) and c.strip())
        for row in table.rows[:HEADER_SEARCH_ROWS]
    ]
    return counts.index(max(counts)) if counts else 0


def _filled(row: Sequence[Cell]) -> bool:
    return any(str(c).strip() for c in row if c is not None)


def _detect(table: Table, kinds: Sequence[cols.FileKind]) -> _Header | None:
    best: _Header | None = None
    for index, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        normalised = [cols.normalise(c) for c in row]
        for kind in kinds:
            found, french = _match(kind, normalised)
            if not found:
                continue
            header = _Header(kind, index, found, french)
            if best is None or header.score(table.sheet) > best.score(table.sheet):
                best = header
    return best


def _match(kind: cols.FileKind, normalised: list[str]) -> tuple[dict[str, int], bool]:
    found: dict[str, int] = {}
    if any(cols.normalise(h) in normalised for h in kind.never):
        return found, False
    french = english = 0
    taken: set[int] = set()
    for column in kind.columns:
        english_names = [cols.normalise(v) for v in column.en]
        for variant in column.variants():
            if variant in normalised and normalised.index(variant) not in taken:
                found[column.field] = normalised.index(variant)
                taken.add(found[column.field])
                if variant in english_names:
                    english += variant not in {cols.normalise(v) for v in column.fr}
                else:
                    french += 1
                break
    return found, french > english


def _mapped(
    table: Table, mapping: Mapping | None, kinds: Sequence[cols.FileKind]
) -> _Header | None:
    if mapping is None or mapping.file_kind not in cols.BY_NAME:
        return None
    kind = cols.BY_NAME[mapping.file_kind]
    if kinds and kind not in kinds:
        return None
    row = _guess_header_row(table)
    normalised = [cols.normalise(c) for c in table.rows[row]]
    found = {
        field: normalised.index(cols.normalise(header))
        for field, header in mapping.columns.items()
        if header and cols.normalise(header) in normalised
    }
    header = _Header(kind, row, found, _match(kind, normalised)[1])
    return header if header.complete() else None


def _failure(
    file_name: str,
    tables: list[Table],
    best: tuple[_Header, Table] | None,
    kinds: Sequence[cols.FileKind],
) -> ExportError:
    table = best[1] if best else tables[0]
    signature, headers = header_signature(table)
    found = ", ".join(headers) or "—"
    if best is not None and len(best[0].found) >= 2:
        header = best[0]
        missing = [c for c in header.kind.required() if c.field not in header.found]
        return ExportError(
            _(
                "%(file)s looks like a %(label)s export, but %(missing)s is missing. "
                "Expected columns: %(expected)s; found: %(found)s."
            )
            % {
                "file": file_name,
                "label": header.kind.label,
                "missing": " / ".join(_names(c) for c in missing),
                "expected": ", ".join(_names(c) for c in header.kind.required()),
                "found": found,
            },
            headers=headers,
            signature=signature,
            candidate=header.kind,
        )
    expected = "; ".join(f"{k.label} ({', '.join(c.en[0] for c in k.required())})" for k in kinds)
    return ExportError(
        _(
            "%(file)s is not an analytics export envol knows. Expected the columns of one of: "
            "%(expected)s; found: %(found)s."
        )
        % {"file": file_name, "expected": expected, "found": found},
        headers=headers,
        signature=signature,
    )


def _names(column: cols.Column) -> str:
    names = dict.fromkeys((column.en[0], *(column.fr[:1])))
    return "“" + "” / “".join(names) + "”"


def _read_section(
    table: Table,
    header: _Header,
    file_name: str,
    wanted: Platform | None,
    warnings: list[str],
    *,
    today: date,
    zone: tzinfo,
) -> Section:
    kind = header.kind
    rows = [r for r in table.rows[header.row + 1 :] if _filled(r)]
    found = header.found
    key_field = cols.POST_ID if kind.kind == cols.POSTS else cols.DATE
    header_cells = table.rows[header.row]

    def cell(row: Sequence[Cell], name: str) -> Cell:
        index = found.get(name)
        return row[index] if index is not None and index < len(row) else None

    kept: list[Sequence[Cell]] = []
    skipped_blank = 0
    for row in rows:
        key = cell(row, key_field)
        if key is None or not str(key).strip():
            skipped_blank += 1
        elif cols.normalise(key) not in cols.TOTAL_LABELS:
            kept.append(row)
    if skipped_blank:
        warnings.append(
            ngettext(
                "%(file)s: %(n)s row without %(key)s was left aside.",
                "%(file)s: %(n)s rows without %(key)s were left aside.",
                skipped_blank,
            )
            % {
                "file": file_name,
                "n": skipped_blank,
                "key": _header_name(header_cells, found, key_field),
            }
        )
    moments = _dates(kept, cell, header, file_name, warnings, today=today, zone=zone)
    metrics = _metric_fields(kind, file_name, table)
    numbers = {
        name: decimal_comma([cell(r, name) for r in kept], header.french) for name in metrics
    }
    platform = _platform(kind, wanted, kept, cell, table, file_name)
    section = Section(kind, platform, account=_account(kept, cell))
    by_day: dict[date, DayRecord] = {}
    for line, moment in zip(kept, moments, strict=True):
        if moment is None:
            continue
        values: dict[Metric, float] = {}
        for name, metric in metrics.items():
            try:
                number = parse_number(cell(line, name), numbers[name])
            except ValueProblem as exc:
                warnings.append(
                    _("%(file)s: “%(value)s” in column %(column)s is not a number; left empty.")
                    % {
                        "file": file_name,
                        "value": str(exc)[:40],
                        "column": _header_name(header_cells, found, name),
                    }
                )
                continue
            if number is not None:
                values[metric] = number
        _derive_engagements(kind, found, values)
        if kind.kind == cols.POSTS:
            section.posts.append(_post(line, moment, values, cell))
        else:
            record = by_day.setdefault(moment.date(), DayRecord(moment.date()))
            for metric, number in values.items():
                # Several rows of one day (YouTube's chart data: one per video) add up.
                record.values[metric] = (
                    number if metric in LEVELS else record.values.get(metric, 0) + number
                )
    section.days = sorted(by_day.values(), key=lambda d: d.day)
    return section


def _header_name(header_cells: Sequence[Cell], found: dict[str, int], name: str) -> str:
    index = found.get(name)
    return f"“{header_cells[index]}”" if index is not None else name


def _dates(
    rows: list[Sequence[Cell]],
    cell: Callable[[Sequence[Cell], str], Cell],
    header: _Header,
    file_name: str,
    warnings: list[str],
    *,
    today: date,
    zone: tzinfo,
) -> list[datetime | None]:
    raw = [cell(r, cols.DATE) for r in rows]
    dayfirst = day_first(raw, header.french)
    moments: list[datetime | None] = []
    yearless: list[int] = []
    for index, value in enumerate(raw):
        try:
            moment, has_year = parse_datetime(
                value, dayfirst=dayfirst, zone=zone, default_year=today.year
            )
        except ValueProblem:
            warnings.append(
                _("%(file)s: “%(value)s” is not a date; that row was left aside.")
                % {"file": file_name, "value": str(value)[:40]}
            )
            moments.append(None)
            continue
        if not has_year:
            yearless.append(index)
        moments.append(moment)
    if yearless:
        placed = place_years([m for i in yearless if (m := moments[i]) is not None], today)
        for index, moment in zip(yearless, placed, strict=True):
            moments[index] = moment
        warnings.append(
            _("%(file)s: its dates have no year; read as %(first)s to %(last)s.")
            % {
                "file": file_name,
                "first": min(placed).date().isoformat(),
                "last": max(placed).date().isoformat(),
            }
        )
    return moments


def _metric_fields(kind: cols.FileKind, file_name: str, table: Table) -> dict[str, Metric]:
    names = {m.value for m in Metric}
    fields = {c.field: Metric(c.field) for c in kind.columns if c.field in names}
    if kind is cols.META_DAILY:
        fields[cols.VALUE] = _meta_daily_metric(table, file_name)
    return fields


def _meta_daily_metric(table: Table, file_name: str) -> Metric:
    title = " ".join(
        str(c)
        for row in table.rows[:HEADER_SEARCH_ROWS]
        if len([c for c in row if c]) == 1
        for c in row
        if c
    )
    haystack = cols.normalise(f"{title} {Path(file_name).stem}")
    for words, metric in cols.META_TITLES:
        if any(re.search(rf"\b{re.escape(w)}\b", haystack) for w in words):
            return metric
    raise ExportError(
        _(
            "%(file)s is a Meta daily file, but its title line does not say which metric it "
            "holds (expected one of: views, reach, follows, interactions, link clicks, visits); "
            "found: “%(title)s”."
        )
        % {"file": file_name, "title": title or "—"}
    )


def _derive_engagements(
    kind: cols.FileKind, found: dict[str, int], values: dict[Metric, float]
) -> None:
    if Metric.ENGAGEMENTS in values or Metric.ENGAGEMENTS.value in found:
        return
    parts = [values[m] for m in kind.engagements_from if m in values]
    if parts:
        values[Metric.ENGAGEMENTS] = sum(parts)


def _post(
    row: Sequence[Cell],
    moment: datetime,
    values: dict[Metric, float],
    cell: Callable[[Sequence[Cell], str], Cell],
) -> PostRecord:
    raw_id = _text(cell(row, cols.POST_ID))
    url = _text(cell(row, cols.URL))
    if raw_id.startswith(("http://", "https://")):
        url = url or raw_id
        urn = LINKEDIN_URN.search(raw_id)
        video = TIKTOK_VIDEO.search(raw_id)
        raw_id = urn.group(0) if urn else video.group(1) if video else raw_id
    return PostRecord(
        remote_id=raw_id[:255],
        published_at=moment,
        url=url[:1000] if url.startswith(("http://", "https://")) else "",
        text=_text(cell(row, cols.TEXT))[:5000],
        post_type=_text(cell(row, cols.POST_TYPE))[:60],
        values=values,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _account(rows: list[Sequence[Cell]], cell: Callable[[Sequence[Cell], str], Cell]) -> str:
    names = {_text(cell(r, cols.ACCOUNT)) for r in rows} - {""}
    return next(iter(names))[:255] if len(names) == 1 else ""


def _platform(
    kind: cols.FileKind,
    wanted: Platform | None,
    rows: list[Sequence[Cell]],
    cell: Callable[[Sequence[Cell], str], Cell],
    table: Table,
    file_name: str,
) -> Platform:
    if len(kind.platforms) == 1:
        return kind.platforms[0]
    if wanted is not None:
        return wanted
    hosts: dict[Platform, int] = {}
    for row in rows:
        for name in (cols.URL, cols.POST_ID):
            host = urlsplit(_text(cell(row, name))).hostname or ""
            for suffix, platform in cols.HOSTS.items():
                if host == suffix or host.endswith("." + suffix):
                    hosts[platform] = hosts.get(platform, 0) + 1
    candidates = {p: n for p, n in hosts.items() if p in kind.platforms}
    if candidates:
        return max(candidates, key=lambda p: candidates[p])
    words = cols.normalise(
        " ".join(str(c) for row in table.rows[:HEADER_SEARCH_ROWS] for c in row if c)
        + " "
        + file_name
    )
    for platform in kind.platforms:
        if platform.value in words:
            return platform
    raise ExportError(
        _(
            "%(file)s is a %(label)s export, but nothing in it says whether it is Facebook's or "
            "Instagram's: give --platform facebook or --platform instagram."
        )
        % {"file": file_name, "label": kind.label}
    )
