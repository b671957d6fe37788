"""Child processes: those that must not outlive their parent, and readers that feed it."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

POLL_SECONDS = 0.5


def die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM us when the parent dies, however it dies (SIGKILL
    included, where no `finally` of the parent runs). Elsewhere a no-op: the parent's own
    clean-up still stops the child when it can."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with that pid exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ReaderStopped(Exception):
    """A reader process ended without saying it was done (killed, or crashed)."""


@contextmanager
def reader_process(
    target: Callable[..., None], args: tuple[Any, ...], depth: int
) -> Iterator[Reader]:
    """A spawned child running `target(*args, out, position)` that reads while this process
    writes: it puts at most `depth` messages ahead on `out` (then None when done, or an
    exception to raise here), and may count its progress in `position`. Spawned, not forked:
    the parent may hold threads and database connections a fork would copy."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=depth)
    position = context.Value("q", 0, lock=False)
    child = context.Process(target=target, args=(*args, out, position), daemon=True)
    child.start()
    try:
        yield Reader(out, child, position)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        out.close()


@dataclass
class Reader:
    out: Any
    child: Any
    position: Any

    def next_message(self, progress: Callable[[int], None] | None = None) -> Any:
        """The child's next message (None: it is done), reporting its position while waiting;
        an exception it sent is raised here."""
        while True:
            try:
                message = self.out.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self.child.is_alive():
                    raise ReaderStopped from None
                if progress is not None:
                    progress(self.position.value)
                continue
            if isinstance(message, BaseException):
                raise message
            if progress is not None:
                progress(self.position.value)
            return message

    def messages(self, progress: Callable[[int], None] | None = None) -> Iterator[Any]:
        while (message := self.next_message(progress)) is not None:
            yield message
