"""Keep the embedded task worker (and the web processes) alive beside `envol serve`.

Why: on the embedded SQLite, `envol serve` runs one `envol worker` subprocess. If it dies (killed,
out of memory), imports and migrations would wait forever with nobody to run them. The
supervisor waits on the child in a thread of its own and starts a new one after a growing pause
(1 s, 2 s, 4 s… up to a minute; back to 1 s once a worker has lived a minute), logging each
death and restart.

The children are started from the supervising thread, which lives as long as the server: Linux
sends `PR_SET_PDEATHSIG` when the *thread* that forked the child ends, so a child forked by a
short-lived thread would be stopped with it. Pure Python, no Django; the spawn function, the
pauses and the clock are injected so tests decide them.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

logger = logging.getLogger("envol.supervisor")

Spawn = Callable[[], "subprocess.Popen[bytes]"]


@dataclass(frozen=True)
class Backoff:
    first_s: float = 1.0
    max_s: float = 60.0
    stable_after_s: float = 60.0  # a worker that lived this long resets the pause

    def pauses(self) -> Iterator[float]:
        pause = self.first_s
        while True:
            yield pause
            pause = min(pause * 2, self.max_s)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class WorkerSupervisor:
    """Runs `spawn()` and starts it again whenever the process ends, until `stop()`."""

    def __init__(
        self,
        spawn: Spawn,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], bool] | None = None,
        stop_timeout_s: float = 10.0,
        name: str = "task worker",
    ) -> None:
        """`pause(seconds)` waits and says whether to stop (default: wait on `stop()`); `name`
        names the process in the log."""
        self._spawn = spawn
        self._name = name
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._stop_timeout_s = stop_timeout_s
        self._stopping = threading.Event()
        self._pause = pause or self._stopping.wait
        self._started = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(
            target=self._supervise, name=f"{name} supervisor", daemon=True
        )
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self._process is not None else None

    def start(self) -> WorkerSupervisor:
        self._thread.start()
        self._started.wait()
        return self

    def _supervise(self) -> None:
        pauses = self._backoff.pauses()
        while not self._stopping.is_set():
            try:
                process = self._launch()
            except OSError as exc:
                pause = next(pauses)
                logger.error(
                    "The %s could not start (%s); retry in %.0f s.", self._name, exc, pause
                )
                self._started.set()
                if self._pause(pause) or self._stopping.is_set():
                    return
                continue
            born = self._clock()
            code = process.wait()
            if self._stopping.is_set():
                return
            lived = self._clock() - born
            if lived >= self._backoff.stable_after_s:
                pauses = self._backoff.pauses()
            pause = next(pauses)
            logger.warning(
                "The %s (pid %s) stopped: %s after %.0f s. Restarting it in %.0f s.",
                self._name,
                process.pid,
                describe_exit(code),
                lived,
                pause,
            )
            if self._pause(pause) or self._stopping.is_set():
                return
            self.restarts += 1

    def _launch(self) -> subprocess.Popen[bytes]:
        with self._lock:
            self._process = self._spawn()
            pid = self._process.pid
        logger.info("%s started (pid %s).", self._name.capitalize(), pid)
        self._started.set()
        return self._process

    def stop(self) -> None:
        """Stop supervising, then the worker: SIGTERM, and SIGKILL if it lingers."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self._stop_timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout=self._stop_timeout_s)
