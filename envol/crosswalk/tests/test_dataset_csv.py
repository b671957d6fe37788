"""The block reader of CSV files (plain blocks split by str methods, the rest by the csv
module) reads every file exactly as the csv module does: the same rows, the same line numbers,
the same unreadable rows, wherever the blocks are cut, and from any line a resumed import
starts after."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from envol.crosswalk import dataset
from envol.crosswalk.dataset import COLUMNS, Rejections, RowBatch, read_dataset
from envol.crosswalk.tests.conftest import did_for

HEADER = "x_id,evidence,x_handle"
WIDTH = 3

cells = st.sampled_from(["", "1", "ab", " ", '"q,\nr"', '"x""y"', '"\r\n"', "é"])
rows = st.lists(cells, min_size=0, max_size=5).map(",".join)
ends = st.sampled_from(["\n", "\r\n", "\r"])
files = st.tuples(st.lists(st.tuples(rows, ends), max_size=12), st.booleans()).map(
    lambda drawn: (
        HEADER + "\n" + "".join(row + end for row, end in drawn[0]) + ("7,last" if drawn[1] else "")
    )
)


def as_the_csv_module_reads(text: str, after_line: int = 0) -> list[tuple[int, object]]:
    """(line, cells picked in COLUMNS order) per row, (line, reason) per unreadable row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    out: list[tuple[int, object]] = []
    for row in reader:
        if reader.line_num <= after_line or not row:
            continue
        if len(row) > WIDTH:
            out.append((reader.line_num, f"{len(row)} cells where the header has {WIDTH}"))
            continue
        x_id, evidence, x_handle = row + [""] * (WIDTH - len(row))
        out.append((reader.line_num, (x_id, x_handle, evidence)))
    return out


def as_envol_reads(text: str, after_line: int = 0) -> tuple[list[tuple[int, object]], int]:
    out: list[tuple[int, object]] = []
    last = 0
    stream = io.StringIO(text, newline="")
    for batch in dataset._csv_batches(stream, "f.csv", after_line):
        out += [(line, reason) for line, reason in batch.unreadable]
        out += list(zip(batch.lines, _rows(batch), strict=True))
        last = batch.last_line
    return sorted(out, key=lambda item: item[0]), last


def _rows(batch: RowBatch) -> list[tuple[str, ...]]:
    wanted = [COLUMNS.index(c) for c in ("x_id", "x_handle", "evidence")]
    picked = [batch.columns[i] for i in wanted]
    return list(zip(*picked, strict=True))


@settings(max_examples=300, deadline=None)
@given(files, st.integers(1, 24))
def test_blocks_read_like_the_csv_module(text: str, block: int) -> None:
    expected = as_the_csv_module_reads(text)
    with patch.object(dataset, "BLOCK_CHARS", block):
        read, last = as_envol_reads(text)
    assert read == expected
    lines = csv.reader(io.StringIO(text, newline=""))
    for _ in lines:
        pass
    assert last == (lines.line_num if lines.line_num > 1 else 0)


@settings(max_examples=150, deadline=None)
@given(files, st.integers(1, 24), st.data())
def test_resuming_after_a_row_reads_what_follows(
    text: str, block: int, data: st.DataObject
) -> None:
    rows_read = as_the_csv_module_reads(text)
    ends_of_rows = [1] + [line for line, _ in rows_read]  # where an import may stop
    after = data.draw(st.sampled_from(ends_of_rows))
    with patch.object(dataset, "BLOCK_CHARS", block):
        assert as_envol_reads(text, after)[0] == as_the_csv_module_reads(text, after)


def test_a_plain_file_takes_the_fast_path(tmp_path: Path) -> None:
    """CRLF line ends (Excel, Python's csv writer), a BOM and no final line break."""
    path = tmp_path / "plain.csv"
    body = "".join(f"{i},{did_for(i)},e{i}\r\n" for i in range(1, 5)) + f"5,{did_for(5)},e5"
    path.write_bytes(("\ufeffx_id,bluesky_did,evidence\r\n" + body).encode("utf-8"))
    batches = list(read_dataset(path, 0.8, Rejections()))
    links = [link for batch in batches for link in batch.links]
    assert [(link[0], link[1], link[4], link[7]) for link in links] == [
        (i + 1, i, did_for(i), f"e{i}") for i in range(1, 6)
    ]
    assert batches[-1].last_line == 6


def test_a_nul_character_in_evidence_rejects_its_row(tmp_path: Path) -> None:
    """PostgreSQL refuses NUL in text: the row is rejected with its reason, not the file."""
    path = tmp_path / "nul.csv"
    path.write_text(
        f"x_id,bluesky_did,evidence\n1,{did_for(1)},a\0b\n2,{did_for(2)},ok\n", encoding="utf-8"
    )
    rejections = Rejections()
    links = [link for batch in read_dataset(path, 0.8, rejections) for link in batch.links]
    assert [link[1] for link in links] == [2]
    assert rejections.errors == [(2, "evidence holds a NUL character: remove it")]


def test_lines_ended_by_carriage_returns_alone(tmp_path: Path) -> None:
    """Old Mac files: no \\n at all, so no block ever ends; the csv module reads them."""
    path = tmp_path / "mac.csv"
    rows = "".join(f"{i},{did_for(i)},e\r" for i in range(1, 301))
    path.write_text("x_id,bluesky_did,evidence\r" + rows, encoding="utf-8")
    with patch.object(dataset, "BLOCK_CHARS", 64):
        batches = list(read_dataset(path, 0.8, Rejections()))
    links = [link for batch in batches for link in batch.links]
    assert [(link[0], link[1]) for link in links] == [(i + 1, i) for i in range(1, 301)]
