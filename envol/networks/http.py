"""HTTP behaviour shared by the adapters: timeouts, retries, and status codes mapped to our errors.

Why one place: every adapter must retry the same way (exponential backoff with jitter, on network
errors and 5xx only) and must never retry a write that could be applied twice. A call is
`retry_safe` when repeating it cannot duplicate anything: reads, deletes, and creates that carry
the caller's idempotency key (Bluesky record key, Mastodon `Idempotency-Key`). A 429 is never
retried here: the caller parks until `RateLimited.reset_at`, it does not sleep in a worker.

Sleep, clock and randomness are injected so tests run instantly and deterministically.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from envol.networks.base import (
    AuthError,
    InvalidContent,
    NetworkError,
    NotFound,
    RateLimited,
    Transient,
)
from envol.networks.ratelimit import Clock, RateObservation, parse_reset, utc_now
from envol.networks.ssrf import GuardedTransport
from envol.networks.ssrf import tls_context as tls_context  # re-exported: one per process

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
DEFAULT_RATE_LIMIT_WAIT_S = 60.0  # when a 429 tells nothing about its window


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delays(self, rng: random.Random) -> Iterator[float]:
        """Full-jitter exponential backoff: attempt n waits uniform(0, min(max, base·2ⁿ))."""
        for attempt in range(self.attempts - 1):
            yield rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


NO_RETRY = RetryPolicy(attempts=1)


@dataclass
class Retrier:
    """Runs calls under a RetryPolicy. One per adapter; `sleep` and `rng` injectable."""

    policy: RetryPolicy = RetryPolicy()
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random | None = None

    def __call__(self, call: Callable[[], T], *, retry_safe: bool) -> T:
        delays = self.policy.delays(self.rng or random.Random()) if retry_safe else iter(())
        while True:
            try:
                return call()
            except Transient:
                delay = next(delays, None)
                if delay is None:
                    raise
                self.sleep(delay)


def rate_limited(
    headers: Mapping[str, str],
    observation: RateObservation | None,
    *,
    clock: Clock = utc_now,
    message: str = "",
) -> RateLimited:
    """A `RateLimited` from a 429's headers: the window's reset, else `Retry-After`, else a
    conservative default."""
    now = clock()
    lowered = {key.lower(): value for key, value in headers.items()}
    reset_at: datetime | None = observation.reset_at if observation else None
    retry_after = lowered.get("retry-after", "").strip()
    if reset_at is None and retry_after:
        try:
            reset_at = now + timedelta(seconds=float(retry_after))
        except ValueError:
            reset_at = parse_reset(retry_after)
    if reset_at is None:
        reset_at = now + timedelta(seconds=DEFAULT_RATE_LIMIT_WAIT_S)
    return RateLimited(reset_at, max((reset_at - now).total_seconds(), 0.0), message=message)


def error_for_status(status: int, message: str, *, reason: str = "") -> NetworkError:
    """The error for a failed HTTP status other than 429 (which needs headers: `rate_limited`)."""
    error: NetworkError
    if status in (401, 403):
        error = AuthError(message)
    elif status in (404, 410):
        error = NotFound(message)
    elif status in (400, 413, 422):
        error = InvalidContent(reason or "rejected", message)
    elif status >= 500 or status == 408:
        error = Transient(message)
    else:
        error = NetworkError(message, code=f"http_{status}")
    error.http_status = status
    return error


def error_message(response: httpx.Response) -> str:
    """The server's own words (JSON `error`/`message`), cut short; never the request's secrets."""
    text = ""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "message", "error_description") if body.get(k)]
        text = ": ".join(parts)
    if not text:
        text = response.text[:200]
    return f"HTTP {response.status_code} from {response.request.url.host}: {text}".strip()


def transport_errors(call: Callable[[], T]) -> T:
    """Run an httpx call; connection failures and timeouts become `Transient`."""
    try:
        return call()
    except httpx.TimeoutException as exc:
        raise Transient(f"The server did not answer in time ({exc.__class__.__name__}).") from exc
    except httpx.TransportError as exc:
        raise Transient(f"Could not reach the server: {exc}.") from exc


def http_transport(given: httpx.BaseTransport | None = None) -> httpx.BaseTransport:
    """`given` (the Django layer passes a guarded transport configured from settings; tests
    inject one), else the guarded transport with its strict default: public addresses only."""
    return given if given is not None else GuardedTransport()
