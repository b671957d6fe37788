"""COPY text of staged links: the fast path and the escaped one write what PostgreSQL reads back."""

from __future__ import annotations

import pytest

from envol.crosswalk.staging import StagedLink, copy_text

CLEAN: StagedLink = (2, 12345, "alice", "bluesky", "did:plc:abc", "alice.bsky.social", "", "x", 0.8)


def _reference(links: list[StagedLink]) -> bytes:
    """Each value escaped as PostgreSQL's COPY text format says, one by one."""
    escapes = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
    return b"".join(
        ("\t".join(str(v).translate(escapes) for v in link) + "\n").encode() for link in links
    )


def test_clean_links_are_written_as_their_values() -> None:
    masto: StagedLink = (
        3,
        7,
        "",
        "mastodon",
        "a@b.social",
        "a@b.social",
        "https://b.social/@a",
        "",
        1.0,
    )
    links = [CLEAN, masto]
    assert copy_text(links) == _reference(links)
    assert copy_text(links).decode().splitlines()[1].split("\t")[-1] == "1.0"


@pytest.mark.parametrize("evidence", ["a\tb", "back\\slash", "two\nlines", "cr\r", "é\\t"])
def test_a_value_holding_a_separator_is_escaped_and_only_its_row(evidence: str) -> None:
    odd: StagedLink = (*CLEAN[:7], evidence, CLEAN[8])  # type: ignore[assignment]
    links = [CLEAN, odd, CLEAN]
    text = copy_text(links)
    assert text == _reference(links)
    assert text.count(b"\n") == 3


def test_no_links_no_text() -> None:
    assert copy_text([]) == b""
