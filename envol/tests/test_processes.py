"""Reader processes: several children on one queue end when all are done; a killed one stops
the reader instead of leaving it waiting."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from envol.processes import ReaderStopped, process_alive, reader_processes

WAIT_S = 120  # a ceiling for slow machines, never a measured duration


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


def late_to_ask(gate: str, out: Any, position: Any) -> None:
    """A child that asks to die with its parent only once `gate` exists."""
    from envol.processes import die_with_parent

    while not os.path.exists(gate):
        time.sleep(0.01)
    die_with_parent()
    out.put("still here")
    time.sleep(3600)


STARTER = textwrap.dedent(
    """
    import sys, time
    from envol.processes import reader_processes
    from envol.tests.test_processes import late_to_ask
    if __name__ == "__main__":
        with reader_processes(late_to_ask, [(sys.argv[1],)], depth=1) as reader:
            print(reader.children[0].pid, flush=True)
            time.sleep(3600)
    """
)


def test_a_child_whose_parent_died_before_it_asked_ends_at_once(tmp_path: Path) -> None:
    """The parent is killed (SIGKILL) while its reader starts: no death signal will come."""
    script, gate = tmp_path / "starter.py", tmp_path / "gate"
    script.write_text(STARTER, encoding="utf-8")
    parent = subprocess.Popen(
        [sys.executable, str(script), str(gate)], stdout=subprocess.PIPE, text=True
    )
    child_pid = int(parent.stdout.readline())  # type: ignore[union-attr]
    parent.kill()
    parent.wait()
    gate.touch()
    deadline = time.monotonic() + WAIT_S
    while process_alive(child_pid) and not _reaped(child_pid):
        if time.monotonic() > deadline:
            os.kill(child_pid, signal.SIGKILL)
            raise AssertionError("the orphaned reader is still running")
        time.sleep(0.05)


def _reaped(pid: int) -> bool:
    """An ended child of init may linger as a zombie for a moment: it counts as ended."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
