"""Child processes: those that must not outlive their parent, and readers that feed it."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    # A parent killed while this child was still starting (before the request above) sends no
    # signal: the child, adopted by another process, would wait on its queue forever.
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os.kill(os.getpid(), signal.SIGTERM)


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
    with reader_processes(target, [args], depth) as reader:
        yield reader


@contextmanager
def reader_processes(
    target: Callable[..., None], args: list[tuple[Any, ...]], depth: int
) -> Iterator[Reader]:
    """Like `reader_process`, one child per tuple of `args`, all on one queue (`depth` ahead
    each): the messages come as they are ready; the reader is done when every child is."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=depth * len(args))
    position = context.Value("q", 0, lock=True)
    children = [
        context.Process(target=target, args=(*one, out, position), daemon=True) for one in args
    ]
    try:
        for child in children:
            child.start()
        yield Reader(out, children, position)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            if child.pid is not None:
                child.join()
        out.close()


@dataclass
class Reader:
    out: Any
    children: list[Any]
    position: Any
    _running: int = field(init=False)  # children that have not said they are done

    def __post_init__(self) -> None:
        self._running = len(self.children)

    def next_message(self, progress: Callable[[int], None] | None = None) -> Any:
        """The children's next message (None: every child is done), reporting their position
        while waiting; an exception one sent is raised here."""
        while self._running:
            try:
                message = self.out.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if self._stopped():
                    raise ReaderStopped from None
                if progress is not None:
                    progress(self.position.value)
                continue
            if progress is not None:
                progress(self.position.value)
            if self._received(message) is not None:
                return message
        return None

    def ready_messages(self) -> Iterator[Any]:
        """The messages already waiting, without waiting for more (a writer that also reads
        takes them between its own batches); the end markers are counted, not yielded."""
        while self._running:
            try:
                message = self.out.get_nowait()
            except queue.Empty:
                return
            if self._received(message) is not None:
                yield message

    def _received(self, message: Any) -> Any:
        """`message` itself; an exception a child sent is raised, an end marker counted."""
        if isinstance(message, BaseException):
            raise message
        if message is None:
            self._running -= 1
        return message

    def _stopped(self) -> bool:
        """A child was killed or crashed, or all ended with messages still expected (a
        child that sent its None may have ended already, the others still work)."""
        codes = [child.exitcode for child in self.children]
        return any(code not in (None, 0) for code in codes) or None not in codes

    def messages(self, progress: Callable[[int], None] | None = None) -> Iterator[Any]:
        while (message := self.next_message(progress)) is not None:
            yield message
