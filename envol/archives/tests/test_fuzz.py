"""Fuzz: damaged, truncated and reshaped archives give ArchiveError and nothing else.

Thousands of cases, all in memory. Three families: raw damage to the zip bytes (what a broken
download looks like), damage to one data file's text re-zipped intact (what the JSON layer
sees), and well-formed JSON whose values have the wrong types (what the record layer sees).
"""

from __future__ import annotations

import random
import zipfile
from typing import Any

import orjson
import pytest

from envol.archives.errors import ArchiveError
from envol.archives.tests.helpers import make_zip, read_everything, unzip
from envol.archives.x import XArchive
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

DATA_FILES = (
    "data/tweets.js",
    "data/account.js",
    "data/manifest.js",
    "data/following.js",
    "data/note-tweet.js",
    "data/profile.js",
    "data/lists-member.js",
)
ODD_VALUES: tuple[Any, ...] = (None, 0, -1, 2**63 - 1, 1.5, True, "", "x", [], {}, [[]], {"a": {}})
SNIPPETS = (
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b'"',
    b"\\",
    b"\x00",
    b"\xff",
    b"=",
    b";",
    b"\n  },\n  {",
    b"1e999",
    b"123456789012345678901234567890",
)


@pytest.fixture(scope="module")
def members() -> dict[str, bytes]:
    spec = ArchiveSpec(seed=31, tweets=12, following=4, followers=4, lists_member=2)
    return unzip(XArchiveFactory(spec).zip_bytes())


def survive(data: bytes) -> None:
    """Read everything; only an ArchiveError may come out."""
    try:
        with XArchive.open(data) as archive:
            read_everything(archive)
    except ArchiveError as error:
        assert str(error)


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    buffer = bytearray(data)
    operation = rng.randrange(5)
    if operation == 0:  # truncate
        return bytes(buffer[: rng.randrange(len(buffer))])
    if operation == 1:  # flip bytes
        for _ in range(rng.randrange(1, 8)):
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
        return bytes(buffer)
    if operation == 2:  # delete a range
        start = rng.randrange(len(buffer))
        del buffer[start : start + rng.randrange(1, 200)]
        return bytes(buffer)
    if operation == 3:  # duplicate a range
        start = rng.randrange(len(buffer))
        piece = buffer[start : start + rng.randrange(1, 300)]
        buffer[start:start] = piece
        return bytes(buffer)
    position = rng.randrange(len(buffer) + 1)  # insert structure
    buffer[position:position] = rng.choice(SNIPPETS)
    return bytes(buffer)


def reshape(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """Replace one random value somewhere in a JSON document with a value of another type."""
    if isinstance(value, dict) and value and rng.random() < 0.85:
        key = rng.choice(list(value))
        if rng.random() < 0.1:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: reshape(rng, value[key], depth + 1)}
    if isinstance(value, list) and value and rng.random() < 0.85:
        index = rng.randrange(len(value))
        copy = list(value)
        copy[index] = reshape(rng, value[index], depth + 1)
        return copy
    return rng.choice(ODD_VALUES)


def test_damaged_zip_bytes(members: dict[str, bytes]) -> None:
    rng = random.Random(1)
    original = make_zip(members, zipfile.ZIP_DEFLATED)
    for _ in range(1500):
        survive(mutate_bytes(rng, original))


def test_damaged_data_files(members: dict[str, bytes]) -> None:
    rng = random.Random(2)
    for _ in range(2500):
        name = rng.choice(DATA_FILES)
        damaged = dict(members)
        damaged[name] = mutate_bytes(rng, members[name])
        survive(make_zip(damaged))


def test_reshaped_records(members: dict[str, bytes]) -> None:
    rng = random.Random(3)
    for _ in range(2000):
        name = rng.choice(DATA_FILES)
        text = members[name]
        equals = text.index(b"=")
        document = orjson.loads(text[equals + 1 :])
        reshaped = reshape(rng, document)
        damaged = dict(members)
        damaged[name] = text[: equals + 1] + b" " + orjson.dumps(reshaped)
        survive(make_zip(damaged))


def test_fuzz_finds_errors_and_successes(members: dict[str, bytes]) -> None:
    """The fuzzers above only prove something if their cases both fail and pass."""
    rng = random.Random(4)
    outcomes = set()
    for _ in range(300):
        name = rng.choice(DATA_FILES)
        damaged = dict(members)
        damaged[name] = mutate_bytes(rng, members[name])
        try:
            with XArchive.open(make_zip(damaged)) as archive:
                read_everything(archive)
            outcomes.add("read")
        except ArchiveError as error:
            outcomes.add(error.code)
    assert {"read", "malformed_json"} <= outcomes and len(outcomes) >= 4
