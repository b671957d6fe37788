"""Cutting data files into pieces never changes what they contain, whatever their layout."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envol.archives.errors import ArchiveError
from envol.archives.source import ArchiveLimits, open_source
from envol.archives.tests.helpers import make_zip
from envol.archives.ytd import Shard, UnshardableFile, iter_elements, read_manifest

NAME = "data/tweets.js"


def elements_of(content: bytes, block_bytes: int = 64) -> list[Any]:
    with open_source(make_zip({NAME: content})) as source:
        return list(iter_elements(source, NAME, block_bytes))


def x_layout(elements: list[Any]) -> bytes:
    return b"window.YTD.tweets.part0 = " + orjson.dumps(elements, option=orjson.OPT_INDENT_2)


ELEMENTS = [
    {"tweet": {"id_str": str(i), "full_text": f"n°{i} é 🇫🇷", "entities": {"urls": [{"u": i}]}}}
    for i in range(40)
]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(x_layout(ELEMENTS), id="x-layout"),
        pytest.param(x_layout(ELEMENTS) + b";\n", id="semicolon"),
        pytest.param(b"\xef\xbb\xbf" + x_layout(ELEMENTS), id="bom"),
        pytest.param(x_layout(ELEMENTS).replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(b"window.YTD.tweets.part0=" + orjson.dumps(ELEMENTS), id="minified"),
        pytest.param(
            b"window.YTD.tweets.part0 = "
            + orjson.dumps(ELEMENTS, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n  "),
            id="deeper-indent",
        ),
    ],
)
@pytest.mark.parametrize("block_bytes", [16, 100, 4096, 1 << 20])
def test_layouts_and_block_sizes_give_the_same_elements(content: bytes, block_bytes: int) -> None:
    assert elements_of(content, block_bytes) == ELEMENTS


def test_shards_share_the_elements_each_exactly_once() -> None:
    with open_source(make_zip({NAME: x_layout(ELEMENTS)})) as source:
        shares = [list(iter_elements(source, NAME, 200, Shard(i, 3))) for i in range(3)]
    assert all(shares) and sum(len(share) for share in shares) == len(ELEMENTS)
    ids = [element["tweet"]["id_str"] for share in shares for element in share]
    assert sorted(ids, key=int) == [element["tweet"]["id_str"] for element in ELEMENTS]


def test_a_file_that_needs_the_scanner_cannot_be_shared() -> None:
    """Minified: no cut before the piece outgrows the record limit; only a scan reads it."""
    elements = ELEMENTS * 4  # past the first read (4 KiB)
    minified = b"window.YTD.tweets.part0=" + orjson.dumps(elements)
    limits = ArchiveLimits(max_record_bytes=200)
    with open_source(make_zip({NAME: minified}), limits) as source:
        with pytest.raises(UnshardableFile):
            list(iter_elements(source, NAME, 64, Shard(1, 2)))
        assert list(iter_elements(source, NAME, 64)) == elements


def test_a_boundary_inside_an_element_falls_back_to_a_whole_parse() -> None:
    """Two-space indentation one level down puts X's boundary pattern inside an element."""
    inner = b'[\n{"tweet": {"list": [\n  {"a": 1\n  },\n  {"b": 2}\n]}},\n{"tweet": {}}\n]'
    content = b"window.YTD.tweets.part0 = " + inner
    assert elements_of(content, 8) == orjson.loads(inner)


def test_escaped_newlines_in_strings_are_not_boundaries() -> None:
    tricky = [{"tweet": {"full_text": "\n  },\n  {"}}, {"tweet": {"full_text": "]"}}]
    assert elements_of(x_layout(tricky), 8) == tricky


def test_an_empty_array() -> None:
    assert elements_of(b"window.YTD.block.part0 = [ ]") == []


@pytest.mark.parametrize(
    "content",
    [b"", b"var x = []", b"window.YTD.tweets = []", b"[]", b"window.YTD.tweets.part0 []"],
)
def test_a_file_that_is_no_data_file(content: bytes) -> None:
    with pytest.raises(ArchiveError) as caught:
        elements_of(content)
    assert caught.value.code == "not_a_data_file" and caught.value.file == NAME


def test_a_value_that_is_not_a_list() -> None:
    with pytest.raises(ArchiveError) as caught:
        elements_of(b'window.YTD.tweets.part0 = {"a": 1}')
    assert caught.value.code == "unexpected_content"


def test_the_manifest_assignment() -> None:
    with open_source(make_zip({"data/manifest.js": b'window.__THAR_CONFIG = {"a": 1}'})) as s:
        assert read_manifest(s, "data/manifest.js") == {"a": 1}
    wrong = make_zip({"data/manifest.js": b'window.YTD.x.part0 = {"a": 1}'})
    with open_source(wrong) as s, pytest.raises(ArchiveError):
        read_manifest(s, "data/manifest.js")


@settings(max_examples=100, deadline=None)
@given(
    elements=st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=12,
    ),
    block_bytes=st.integers(1, 300),
    indent=st.booleans(),
)
def test_property_cutting_never_changes_the_elements(
    elements: list[Any], block_bytes: int, indent: bool
) -> None:
    option = orjson.OPT_INDENT_2 if indent else 0
    content = b"window.YTD.tweets.part0 = " + orjson.dumps(elements, option=option)
    assert elements_of(content, block_bytes) == elements
