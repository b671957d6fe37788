"""The checks that run on every zip entry and every relation take shortcuts for speed: each must
answer exactly as its plain definition, written out here, on any input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envol.archives.source import unsafe_name_reason
from envol.archives.x import _relation_id
from envol.archives.x_tweets import id_of, mapping_of

NAME_PARTS = st.sampled_from(["a", "..", ".", "/", "\\", ":", "C", "\x00", "data", "é", " ", "z:"])


def plain_unsafe_name_reason(name: str) -> str | None:
    if "\x00" in name:
        return "NUL character"
    if "\\" in name:
        return "backslash"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if ".." in name.split("/"):
        return "'..' component"
    return None


@given(st.lists(NAME_PARTS, max_size=8).map("".join) | st.text(max_size=20))
def test_unsafe_name_reason_is_its_plain_definition(name: str) -> None:
    assert unsafe_name_reason(name) == plain_unsafe_name_reason(name)


def outcome(function: Any, element: Any) -> tuple[str, Any]:
    try:
        return "value", function(element)
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        return type(error).__name__, str(error)


ODD = (None, 0, 7, True, 1.5, "", "12", [], {}, ["12"])


@pytest.mark.parametrize(
    "element",
    [
        {"following": {"accountId": "12"}},
        {"following": {"accountId": 12}},
        {"following": {"accountId": None}},
        {"following": {"accountId": ""}},
        {"following": {}},
        {"following": None},
        {"other": {"accountId": "12"}},
        *({"following": {"accountId": odd}} for odd in ODD),
        *({"following": odd} for odd in ODD),
        *ODD,
    ],
)
def test_relation_ids_are_read_as_the_checked_path_reads_them(element: Any) -> None:
    def plain(value: Any) -> str:
        return id_of(mapping_of(mapping_of(value)["following"])["accountId"])

    assert outcome(lambda value: _relation_id(value, key="following"), element) == outcome(
        plain, element
    )
