"""The value types' own rules and the shared HTTP behaviour (retries, status → error)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from envol.networks.base import (
    AuthError,
    Capabilities,
    InvalidContent,
    Media,
    NetworkError,
    NetworkName,
    NotFound,
    TextUnit,
    Transient,
)
from envol.networks.base import check_media as check
from envol.networks.http import (
    NO_RETRY,
    Retrier,
    RetryPolicy,
    error_for_status,
    error_message,
    rate_limited,
    transport_errors,
)
from envol.networks.metrics import BLUESKY_METRICS
from envol.networks.ratelimit import bluesky_observation, mastodon_observation

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

CAPS = Capabilities(
    network=NetworkName.BLUESKY,
    text_unit=TextUnit.GRAPHEMES,
    text_limit=300,
    text_byte_limit=3000,
    url_weight=None,
    max_images=2,
    image_byte_limit=10,
    alt_text_limit=5,
    threads=True,
    backdating=True,
    content_warning=False,
    link_cards=True,
    max_langs=3,
    max_follow_batch=200,
    metrics=BLUESKY_METRICS,
)


def test_media_without_alt_text_is_refused() -> None:
    with pytest.raises(InvalidContent) as caught:
        Media(mime="image/png", alt="  ", data=b"x")
    assert caught.value.reason == "alt_missing"


def test_media_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Media(mime="image/png", alt="a map")


@pytest.mark.parametrize(
    ("media", "reason"),
    [
        ([Media(mime="image/png", alt="a", data=b"x")] * 3, "too_many_images"),
        ([Media(mime="image/png", alt="too long", data=b"x")], "alt_too_long"),
        ([Media(mime="image/png", alt="a", data=b"x" * 11)], "image_too_large"),
    ],
)
def test_check_media_refuses_before_upload(media: list[Media], reason: str) -> None:
    with pytest.raises(InvalidContent) as caught:
        check(media, CAPS)
    assert caught.value.reason == reason


def test_check_media_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"png")
    assert check([Media(mime="image/png", alt="a", path=path)], CAPS) == [b"png"]


class Flaky:
    """Fails `failures` times with `error`, then answers."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def test_transient_errors_are_retried_with_growing_jittered_delays() -> None:
    slept: list[float] = []
    retry = Retrier(
        RetryPolicy(attempts=4, base_delay_s=1), sleep=slept.append, rng=random.Random(1)
    )
    call = Flaky(3, Transient("503"))
    assert retry(call, retry_safe=True) == "ok"
    assert call.calls == 4
    assert len(slept) == 3
    assert all(0 <= delay <= 2**i for i, delay in enumerate(slept))


def test_retries_give_up_after_the_last_attempt() -> None:
    retry = Retrier(RetryPolicy(attempts=2), sleep=lambda _: None)
    call = Flaky(5, Transient("503"))
    with pytest.raises(Transient):
        retry(call, retry_safe=True)
    assert call.calls == 2


def test_a_write_without_idempotency_key_is_never_retried() -> None:
    retry = Retrier(RetryPolicy(attempts=4), sleep=lambda _: None)
    call = Flaky(1, Transient("timeout"))
    with pytest.raises(Transient):
        retry(call, retry_safe=False)
    assert call.calls == 1


@pytest.mark.parametrize("error", [NotFound("gone"), AuthError("bad"), InvalidContent("long")])
def test_client_errors_are_never_retried(error: NetworkError) -> None:
    retry = Retrier(RetryPolicy(attempts=4), sleep=lambda _: None)
    call = Flaky(1, error)
    with pytest.raises(type(error)):
        retry(call, retry_safe=True)
    assert call.calls == 1
    assert Retrier(NO_RETRY)(lambda: 1, retry_safe=True) == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (410, NotFound),
        (422, InvalidContent),
        (400, InvalidContent),
        (500, Transient),
        (503, Transient),
        (409, NetworkError),
    ],
)
def test_status_codes_map_to_errors(status: int, kind: type[NetworkError]) -> None:
    assert type(error_for_status(status, "x")) is kind


def test_429_with_bluesky_headers_resets_at_the_window() -> None:
    headers = {
        "ratelimit-limit": "5000",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(int((NOW + timedelta(minutes=20)).timestamp())),
        "ratelimit-policy": "5000;w=3600",
    }
    error = rate_limited(headers, bluesky_observation(headers), clock=lambda: NOW)
    assert error.reset_at == NOW + timedelta(minutes=20)
    assert error.retry_after == 1200


def test_429_with_mastodon_headers_and_retry_after_fallbacks() -> None:
    headers = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2026-11-23T10:03:00Z",
    }
    assert (
        rate_limited(headers, mastodon_observation(headers), clock=lambda: NOW).retry_after == 180
    )
    only_retry_after = rate_limited({"Retry-After": "42"}, None, clock=lambda: NOW)
    assert only_retry_after.reset_at == NOW + timedelta(seconds=42)
    nothing = rate_limited({}, None, clock=lambda: NOW)
    assert nothing.retry_after == 60


def test_error_message_quotes_the_server() -> None:
    request = httpx.Request("POST", "https://example.org/api/v1/statuses")
    response = httpx.Response(
        422, json={"error": "Validation failed: Text is too long"}, request=request
    )
    assert error_message(response) == (
        "HTTP 422 from example.org: Validation failed: Text is too long"
    )


def test_transport_failures_become_transient() -> None:
    def refuse() -> None:
        raise httpx.ConnectError("refused")

    with pytest.raises(Transient):
        transport_errors(refuse)
