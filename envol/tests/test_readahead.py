"""Read-ahead: every share read once by a reader of its own, readers stopped with the body,
a reader that fails costing nothing but its help."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envol import readahead


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        db.executemany("INSERT INTO t VALUES (?)", [(x,) for x in range(100)])
    db.close()
    monkeypatch.setattr(readahead, "database_file", lambda: str(path))
    yield path


def test_each_share_is_read_once_by_a_reader_of_its_own(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()
    all_read = threading.Event()
    connect = sqlite3.connect
    names = iter(range(1000))

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        reader = connect(*args, **kwargs)
        with lock:
            name = f"reader-{next(names)}"

        def see(x: int) -> int:
            with lock:
                seen.append((name, x))
                if len(seen) == 100:
                    all_read.set()
            return x

        reader.create_function("see", 1, see)
        return reader

    monkeypatch.setattr(readahead.sqlite3, "connect", traced)
    shares = [[low, low + 25] for low in range(0, 100, 25)]
    with readahead.read_ahead("SELECT sum(see(x)) FROM t WHERE x >= ? AND x < ?", shares):
        all_read.wait(timeout=60)  # a body that lasts longer than the readers
    assert sorted(x for _, x in seen) == list(range(100))  # all, once
    readers = {name for name, _ in seen}
    assert len(readers) == 4
    for name in readers:  # one share each
        values = sorted(x for reader, x in seen if reader == name)
        assert values[-1] - values[0] == 24 and len(values) == 25


def test_the_readers_stop_when_the_body_ends(database: Path) -> None:
    endless = "WITH RECURSIVE c(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM c) SELECT max(n) FROM c"
    before = threading.active_count()
    with readahead.read_ahead(endless, [[0], [1], [2]]):
        assert threading.active_count() == before + 3
    assert threading.active_count() == before  # interrupted and joined


def test_a_reader_that_fails_costs_only_its_help(database: Path) -> None:
    with readahead.read_ahead("SELECT * FROM missing WHERE ? = ?", [[1, 1], [2, 2]]):
        body = "ran"
    assert body == "ran"
    with sqlite3.connect(database) as db:  # nothing written, the file as it was
        assert db.execute("SELECT count(*) FROM t").fetchone() == (100,)


def test_one_share_or_no_file_reads_nothing_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    before = threading.active_count()
    monkeypatch.setattr(readahead, "database_file", lambda: None)  # PostgreSQL, or memory
    with readahead.read_ahead("SELECT 1 WHERE ? = ?", [[1, 1], [2, 2]]):
        assert threading.active_count() == before
    monkeypatch.setattr(readahead, "database_file", lambda: "unused.sqlite3")
    with readahead.read_ahead("SELECT 1 WHERE ? = ?", [[1, 1]]):
        assert threading.active_count() == before
