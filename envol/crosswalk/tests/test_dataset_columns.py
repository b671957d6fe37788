"""The column-wise check of a batch accepts exactly what `validate_row` accepts, and builds the
same links; line numbers survive quoted line breaks."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from envol.crosswalk import identifiers as ids
from envol.crosswalk.dataset import (
    COLUMNS,
    Rejections,
    RowBatch,
    read_dataset,
    validate_batch,
    validate_row,
)
from envol.crosswalk.staging import StagedLink
from envol.crosswalk.tests.conftest import did_for

# Cells a clean file holds, and spellings or mistakes the column-wise check must send to the
# row-by-row path (which accepts or rejects them with a reason).
CLEAN = {
    "x_id": ["1", "0042", "9223372036854775807"],
    "x_handle": ["", "alice", "Bob_1"],
    "bluesky_handle": ["", "a.bsky.social", "x-1.example.org"],
    "bluesky_did": [did_for(1), "did:web:example.org"],
    "mastodon_account": ["", "a@piaille.fr", "a.b@x-y.social"],
    "evidence": ["", "site"],
    "confidence": ["", "0.5", "1"],
}
ODD = {
    "x_id": ["9223372036854775808", "12a", "", " 7", "1\n2"],
    "x_handle": ["@carol", "x" * 16, "a b"],
    "bluesky_handle": ["A.bsky.social", "-a.example", "a." + "b" * 64, "x", "@a.bsky.social"],
    "bluesky_did": ["", "did:plc:short", " " + did_for(2), "DID:web:a.b"],
    "mastodon_account": ["@a@piaille.fr", "https://piaille.fr/@a", "a@b", "A@piaille.fr"],
    "evidence": ["é" * 501, "a\0b"],
    "confidence": ["1.5", "nan", "x", " 0.5"],
}
clean_rows = st.lists(
    st.tuples(*(st.sampled_from(CLEAN[c]) for c in COLUMNS)), min_size=1, max_size=8
)
odd_cell = st.sampled_from(range(len(COLUMNS))).flatmap(
    lambda i: st.tuples(st.just(i), st.sampled_from(ODD[COLUMNS[i]]))
)
rows = st.tuples(clean_rows, st.none() | st.tuples(st.integers(0, 7), odd_cell)).map(
    lambda drawn: _with_odd_cell(*drawn)
)


def _with_odd_cell(
    clean: list[tuple[str, ...]], odd: tuple[int, tuple[int, str]] | None
) -> list[tuple[str, ...]]:
    if odd is None:
        return clean
    row, (column, value) = odd
    changed = list(clean[row % len(clean)])
    changed[column] = value
    return [*clean[: row % len(clean)], tuple(changed), *clean[row % len(clean) + 1 :]]


def row_by_row(batch: RowBatch) -> tuple[list[StagedLink], list[tuple[int, str]]]:
    links: list[StagedLink] = []
    errors = []
    for line, values in zip(batch.lines, zip(*batch.columns, strict=True), strict=True):
        try:
            links += validate_row(line, values, 0.8)
        except ids.InvalidIdentifier as exc:
            errors.append((line, str(exc)))
    return links, errors


@settings(max_examples=400, deadline=None)
@given(rows)
def test_column_path_agrees_with_row_path(values: list[tuple[str, ...]]) -> None:
    batch = RowBatch.of_rows(list(range(2, 2 + len(values))), values, range(len(COLUMNS)), [])
    links, errors = validate_batch(batch, 0.8)
    expected_links, expected_errors = row_by_row(batch)
    assert sorted(links) == sorted(expected_links)
    assert errors == expected_errors


def test_clean_batch_takes_the_column_path() -> None:
    values = [("5", "e", "e.bsky.social", did_for(5), "e@piaille.fr", "", "")]
    batch = RowBatch.of_rows([2], values, range(len(COLUMNS)), [])
    links, errors = validate_batch(batch, 0.8)
    assert errors == []
    assert links == [
        (2, 5, "e", "bluesky", did_for(5), "e.bsky.social", "", "", 0.8),
        (2, 5, "e", "mastodon", "e@piaille.fr", "e@piaille.fr", "https://piaille.fr/@e", "", 0.8),
    ]


def test_line_numbers_after_a_quoted_line_break(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        f'x_id,bluesky_did,evidence\n1,{did_for(1)},"two\nlines"\nbad,,\n3,{did_for(3)},\n',
        encoding="utf-8",
    )
    rejections = Rejections()
    batches = list(read_dataset(path, 0.8, rejections))
    links = [link for batch in batches for link in batch.links]
    assert [(link[0], link[1]) for link in links] == [(3, 1), (5, 3)]
    assert [row for row, _ in rejections.errors] == [4]
    assert batches[-1].last_line == 5
    # Resuming after line 3 (the end of the quoted cell) reads only what follows.
    resumed = Rejections()
    later = list(read_dataset(path, 0.8, resumed, after_line=3))
    assert [link[0] for batch in later for link in batch.links] == [5]
    assert [row for row, _ in resumed.errors] == [4]
