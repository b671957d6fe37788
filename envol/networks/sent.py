"""A signal for the moment a request has left: its body written, its answer awaited.

Why: a job step overlaps its bookkeeping with a call made in another thread
(`envol.jobs.overlap`). Until the request is on the wire, that thread runs Python (the body
serialised, the request built, headers and body written) and competes for the interpreter with
the bookkeeping, which then delays every request by the bookkeeping's own time (measured: about
7 ms on a 140 ms call to a PDS, 5 %). Once the request has left, the thread only waits on its
socket. So the step waits for this signal, then does its bookkeeping while the server works.

The guarded transport raises it through httpcore's `trace` extension (the event
"…send_request_body.complete") for the requests sent in a `when_sent(callback)` block of the
same thread. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_listener: ContextVar[Callable[[], None] | None] = ContextVar("envol_request_sent", default=None)

Trace = Callable[[str, dict[str, Any]], None]


@contextmanager
def when_sent(callback: Callable[[], None]) -> Iterator[None]:
    """`callback()` once the body of each request sent in this block (in this thread) is written."""
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


def tracing(extensions: dict[str, Any]) -> None:
    """Add the signal to a request's httpcore extensions when a `when_sent` block listens,
    keeping any trace already there."""
    callback = _listener.get()
    if callback is None:
        return
    earlier: Trace | None = extensions.get("trace")

    def trace(event: str, info: dict[str, Any]) -> None:
        if earlier is not None:
            earlier(event, info)
        if event.endswith("send_request_body.complete"):
            callback()

    extensions["trace"] = trace
