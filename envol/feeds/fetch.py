"""Conditional, capped reads of a source through the guarded transport.

One `SourceClient` per worker thread is reused across polls (its connections are kept alive),
over the transport the caller gives: the Django side passes the guarded transport configured
from the settings (`envol.outbound.transport()`), so every hop of every redirect is checked and
connected to a checked address. A poll that finds nothing new costs a request and a 304.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from envol.feeds.items import SourceError
from envol.networks.ssrf import FetchFailed, SsrfRefused, read_capped

USER_AGENT = "envol-relay/1 (+https://envol.fr)"


@dataclass(frozen=True)
class FetchLimits:
    timeout_s: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 3


@dataclass(frozen=True)
class Fetched:
    """An answer: 200 with its body, or 304 (`not_modified`) with none."""

    status: int
    url: str  # after redirects
    body: bytes
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class SourceClient:
    """GETs of source URLs: conditional headers in, validators out, bodies capped in size and
    time while they are read (a huge or endless answer never sits whole in memory)."""

    def __init__(self, transport: httpx.BaseTransport, limits: FetchLimits | None = None) -> None:
        self.limits = limits or FetchLimits()
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.limits.timeout_s),
            follow_redirects=True,
            max_redirects=self.limits.max_redirects,
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        params: Mapping[str, Any] | None = None,
        accept: str = "*/*",
        max_bytes: int | None = None,
    ) -> Fetched:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        cap = max_bytes or self.limits.max_bytes
        try:
            with self._client.stream("GET", url, params=params, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(
                        304, str(response.url), b"", etag=etag, last_modified=last_modified
                    )
                if response.status_code >= 400:
                    raise SourceError(
                        "http_status", f"{response.url.host} answered HTTP {response.status_code}."
                    )
                deadline = time.monotonic() + self.limits.timeout_s
                body = read_capped(response, cap, deadline, str(response.url))
                return Fetched(
                    response.status_code,
                    str(response.url),
                    body,
                    response.headers.get("content-type", ""),
                    response.headers.get("etag", ""),
                    response.headers.get("last-modified", ""),
                )
        except SsrfRefused as exc:
            raise SourceError("refused", str(exc)) from None
        except FetchFailed as exc:  # too large, too slow
            raise SourceError(exc.code, str(exc)) from None
        except httpx.TooManyRedirects:
            raise SourceError("redirects", f"Too many redirects from {url}.") from None
        except httpx.TimeoutException:
            raise SourceError("timeout", f"{url} did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise SourceError("connection", f"Could not reach {url}: {exc}.") from None

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        fetched = self.get(url, params=params, accept="application/json")
        try:
            return orjson.loads(fetched.body)
        except orjson.JSONDecodeError:
            raise SourceError("unreadable", f"{url} did not answer JSON.") from None
