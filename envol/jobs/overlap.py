"""A network call in a thread of its own while the step does the bookkeeping around it.

Why: a batch job's step writes to the database before and after each call (the keys committed
before, the answer saved after). Done in turn with the calls, that bookkeeping adds to every
call's wait; done while the next call is out, it adds nothing (measured on the follow migration:
`bench/migration.py`).

The step starts its bookkeeping only once the call's request has left (`envol.networks.sent`),
or after `HEAD_START_S` at most: before that, the two threads would share the interpreter and the
bookkeeping would delay the request by its own time.

The call's thread touches the database only if the adapter saves a refreshed session; it closes
its own connections when it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from django.db import connections

from envol.networks.sent import when_sent

R = TypeVar("R")

HEAD_START_S = 0.25  # the longest the step waits for the request to leave before its bookkeeping


def in_background(call: Callable[[], R], *, head_start_s: float = HEAD_START_S) -> Future[R]:
    """Start `call` in a new thread; its answer (or its exception) comes through the future,
    returned once the call's first request has left (or it ended, or `head_start_s` passed).
    The caller waits for it before its step ends: nothing outlives the step."""
    answer: Future[R] = Future()
    answer.set_running_or_notify_cancel()
    sent = threading.Event()

    def run() -> None:
        try:
            with when_sent(sent.set):
                answer.set_result(call())
        except BaseException as exc:  # handed to the step's thread, raised there
            answer.set_exception(exc)
        finally:
            sent.set()
            connections.close_all()  # this thread's only

    threading.Thread(target=run, name="envol-call", daemon=True).start()
    sent.wait(head_start_s)
    return answer
