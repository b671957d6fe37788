"""Small requests to addresses a remote party chose (a DID document's server, an authorisation
server, another instance's feed) where `ssrf.fetch` is not enough: POSTs with headers (DPoP),
answers kept as `httpx.Response` for their headers (nonces, ETag, signatures).

Always over the one guarded transport (`ssrf.GuardedTransport`: each address checked and pinned
where the connection is made; the Django layer passes `outbound.transport()`, the strict default
is used otherwise). On top of it: redirects never followed, bodies bounded, nothing retried, and
every failure — a refused address included — one `GuardedError`. Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from envol.networks.base import NetworkError, NotFound
from envol.networks.http import DEFAULT_TIMEOUT, http_transport
from envol.networks.ssrf import SsrfRefused

DEFAULT_MAX_BYTES = 64 * 1024


class GuardedError(NetworkError):
    """Refused by the guard, unreachable, too large, or not what was expected."""


@dataclass
class Http:
    transport: httpx.BaseTransport | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        self.transport = http_transport(self.transport)  # one pool for all this client's calls

    def client(self) -> httpx.Client:
        return httpx.Client(
            transport=_Unclosed(http_transport(self.transport)),
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": "envol"},
        )

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """GET `url`; the whole body read, within `max_bytes`."""
        with self.client() as client:
            request = _request(client, "GET", url, headers=dict(headers or {}))
            return send_bounded(client, request, self.max_bytes)

    def get_json(self, url: str) -> dict[str, Any]:
        response = self.get(url)
        if response.status_code == 404:
            raise NotFound(f"{url} does not exist (HTTP 404).")
        if response.status_code != 200:
            raise GuardedError(f"{url} answered HTTP {response.status_code}.", code="http")
        return json_object(response, url)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Unclosed(httpx.BaseTransport):
    """The client's transport, left open when a short-lived client closes (the pool serves the
    next call of the same `Http`)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


def _request(client: httpx.Client, method: str, url: str, **options: Any) -> httpx.Request:
    try:
        return client.build_request(method, url, **options)
    except httpx.InvalidURL as exc:
        raise GuardedError(f"{url!r} is not an http(s) address.", code="address") from exc


def post_form(
    http: Http, url: str, form: Mapping[str, str], headers: Mapping[str, str]
) -> httpx.Response:
    """POST a form to `url` (an authorisation server's endpoint); the answer read whole."""
    with http.client() as client:
        request = _request(client, "POST", url, data=dict(form), headers=dict(headers))
        return send_bounded(client, request, http.max_bytes)


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
    except SsrfRefused as exc:
        raise GuardedError(f"{request.url} may not be fetched: {exc}", code="address") from exc
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
