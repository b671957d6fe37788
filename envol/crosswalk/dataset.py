"""Reading crosswalk datasets (CSV or JSON Lines) into validated rows, streaming.

Each data row names an X account and its Bluesky and/or Mastodon account; a malformed row is
rejected with its line number and the reason, the rest of the file still imports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import orjson

from envol.crosswalk import identifiers as ids
from envol.crosswalk.store import StagedLink

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
PROGRESS_EVERY = 50_000


class DatasetError(Exception):
    """The whole file cannot be read: the message names the file and what to do."""


@dataclass
class Rejections:
    """Rejected rows: all counted, the first ERRORS_KEPT kept with their reason."""

    count: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def add(self, row: int, reason: str) -> None:
        self.count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append((row, reason))


def validate_row(
    row_no: int,
    values: tuple[str, str, str, str, str, str, str],
    default_confidence: float,
) -> list[StagedLink]:
    """The links one row asserts (values in COLUMNS order); raises InvalidIdentifier."""
    raw_xid, raw_handle, raw_bsky, raw_did, raw_masto, evidence, raw_conf = values
    if ids.X_ID.fullmatch(raw_xid) and len(raw_xid) < 20:
        xid = raw_xid.lstrip("0") or "0"
    else:
        xid = ids.x_id(raw_xid)
    handle = ids.x_handle(raw_handle) if raw_handle else ""
    conf = ids.confidence(raw_conf) if raw_conf else default_confidence
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


def _csv_rows(text: IO[str], name: str) -> Iterator[tuple[int, tuple[str, ...] | str]]:
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
    # A missing column reads the empty cell appended after the row's last one.
    pick = itemgetter(*(header.index(c) if c in header else width for c in COLUMNS))
    for row in reader:
        if not row:
            continue
        if len(row) != width:
            if len(row) > width:
                yield reader.line_num, f"{len(row)} cells where the header has {width}"
                continue
            row.extend([""] * (width - len(row)))
        row.append("")
        yield reader.line_num, pick(row)


def _jsonl_rows(text: IO[str], name: str) -> Iterator[tuple[int, tuple[str, ...] | str]]:
    for line_no, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield line_no, f"not valid JSON ({exc.msg})"
            continue
        if not isinstance(value, dict):
            yield line_no, "not a JSON object"
            continue
        yield line_no, tuple("" if value.get(c) is None else str(value[c]).strip() for c in COLUMNS)


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
) -> Iterator[StagedLink]:
    """Stream the links of a dataset file; bad rows go to `rejections`, never stop the file."""
    name = path.name
    json_lines = is_json_lines(path)
    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
            rows: Iterator[tuple[int, Any]] = (
                _jsonl_rows(text, name) if json_lines else _csv_rows(text, name)
            )
            seen = 0
            for row_no, values in rows:
                seen += 1
                if progress is not None and seen % PROGRESS_EVERY == 0:
                    progress(raw.tell())
                if isinstance(values, str):
                    rejections.add(row_no, values)
                    continue
                try:
                    yield from validate_row(row_no, values, default_confidence)
                except ids.InvalidIdentifier as exc:
                    rejections.add(row_no, str(exc))
    except UnicodeDecodeError:
        raise DatasetError(
            f"{name}: not UTF-8 text. Save the file as UTF-8 and import it again."
        ) from None
    except csv.Error as exc:
        raise DatasetError(f"{name}: unreadable CSV ({exc}). Check the quoting.") from None
    except OSError as exc:
        raise DatasetError(f"{name}: cannot be read ({exc.strerror}).") from None
