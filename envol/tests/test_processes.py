"""Reader processes: several children on one queue end when all are done; a killed one stops
the reader instead of leaving it waiting."""

from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any

import pytest

from envol.processes import ReaderStopped, reader_processes


def say_then_stop(word: str, go: Any, out: Any, position: Any) -> None:
    """A child: waits for `go` (when given), sends its word, then None."""
    if go is not None:
        go.wait()
    out.put(word)
    out.put(None)


def test_a_child_done_first_does_not_stop_the_others() -> None:
    """The second child speaks only once the reader has waited with the first one ended."""
    go = multiprocessing.get_context("spawn").Event()
    with reader_processes(say_then_stop, [("first", None), ("second", go)], depth=2) as reader:
        assert reader.next_message() == "first"
        reader.children[0].join()

        def first_ended_and_waited(_position: int) -> None:
            go.set()

        assert reader.next_message(first_ended_and_waited) == "second"
        assert reader.next_message() is None


def test_a_killed_child_stops_the_reader() -> None:
    never = multiprocessing.get_context("spawn").Event()
    with reader_processes(say_then_stop, [("first", None), ("lost", never)], depth=2) as reader:
        assert reader.next_message() == "first"
        os.kill(reader.children[1].pid, signal.SIGKILL)
        with pytest.raises(ReaderStopped):
            reader.next_message()
