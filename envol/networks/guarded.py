"""Requests to addresses a remote party chose (a DID document's server, an authorisation
server, another instance's feed): each URL vetted by the caller's guard before it is fetched,
redirects never followed, bodies bounded, nothing retried.

The guard is given by the caller (the Django layer passes `ssrf.check_url`, or nothing when
ENVOL_ALLOW_PRIVATE_NETWORKS lets the sandbox and the tests use loopback servers), like the
transport, so this stays pure and testable. Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from envol.networks.base import NetworkError, NotFound
from envol.networks.http import DEFAULT_TIMEOUT, http_transport

UrlCheck = Callable[[str], object]
"""Raises when a URL may not be fetched (the SSRF guard); its return value is ignored."""

DEFAULT_MAX_BYTES = 64 * 1024


class GuardedError(NetworkError):
    """Refused by the guard, unreachable, too large, or not what was expected."""


@dataclass
class Http:
    check: UrlCheck | None = None
    transport: httpx.BaseTransport | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_bytes: int = DEFAULT_MAX_BYTES

    def client(self) -> httpx.Client:
        return httpx.Client(
            transport=http_transport(self.transport),
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": "envol"},
        )

    def vet(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GuardedError(f"{url!r} is not an http(s) address.", code="address")
        if self.check is not None:
            try:
                self.check(url)
            except Exception as exc:  # the guard's own refusal, in its words
                raise GuardedError(f"{url} may not be fetched: {exc}", code="address") from exc
        return url

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """GET `url` (vetted); the whole body read, within `max_bytes`."""
        with self.client() as client:
            request = client.build_request("GET", self.vet(url), headers=dict(headers or {}))
            return send_bounded(client, request, self.max_bytes)

    def get_json(self, url: str) -> dict[str, Any]:
        response = self.get(url)
        if response.status_code == 404:
            raise NotFound(f"{url} does not exist (HTTP 404).")
        if response.status_code != 200:
            raise GuardedError(f"{url} answered HTTP {response.status_code}.", code="http")
        return json_object(response, url)


def send_bounded(client: httpx.Client, request: httpx.Request, max_bytes: int) -> httpx.Response:
    """Send `request`; the answer with its body read, refused past `max_bytes`."""
    try:
        response = client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise GuardedError(f"{request.url} answered too much.", code="too_large")
                chunks.append(chunk)
        finally:
            response.close()
    except httpx.HTTPError as exc:
        raise GuardedError(
            f"{request.url.host} cannot be reached: {exc}", code="connection"
        ) from exc
    # The body is decoded already: its encoding headers no longer describe it.
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=request
    )


def json_object(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GuardedError(f"{url} did not answer a JSON object.", code="json")
    return body
