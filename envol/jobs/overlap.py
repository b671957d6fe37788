"""A network call in a thread of its own while the step does the bookkeeping around it.

Why: a batch job's step writes to the database before and after each call (the keys committed
before, the answer saved after). Done in turn with the calls, that bookkeeping adds to every
call's wait; done while the next call is out, it adds nothing (measured on the follow migration:
`bench/migration.py`).

The call's thread touches the database only if the adapter saves a refreshed session; it closes
its own connections when it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from django.db import connections

R = TypeVar("R")


def in_background(call: Callable[[], R]) -> Future[R]:
    """Start `call` in a new thread; its answer (or its exception) comes through the future.
    The caller waits for it before its step ends: nothing outlives the step."""
    answer: Future[R] = Future()
    answer.set_running_or_notify_cancel()

    def run() -> None:
        try:
            answer.set_result(call())
        except BaseException as exc:  # handed to the step's thread, raised there
            answer.set_exception(exc)
        finally:
            connections.close_all()  # this thread's only

    threading.Thread(target=run, name="envol-call", daemon=True).start()
    return answer
