"""A guard for every outbound fetch of a URL that a user or a remote party chose.

Why: envol runs inside public institutions' networks. A URL typed in a form (an organisation's
website, a feed) must never make the server talk to itself, its database, a cloud metadata service
or the intranet. So: http(s) only, usual ports only, no credentials in the URL, every address the
name resolves to must be public, the connection goes to the address that was checked (no second
DNS answer in between), redirects are re-checked hop by hop, and the body is capped in time and
size.

Pure Python (no Django). The resolver and the HTTP transport are injectable so that tests prove
the rules with addresses only, without any outside traffic.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

Resolver = Callable[[str, int], Sequence[str]]
"""(host, port) → the IP addresses (as text) the host name resolves to."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MAX_BYTES = 64 * 1024
DEFAULT_MAX_REDIRECTS = 3
DEFAULT_PORTS = frozenset({80, 443})


class SsrfRefused(Exception):
    """The URL may not be fetched. `code` is stable for programs; the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class FetchFailed(Exception):
    """The fetch was allowed but did not succeed (timeout, connection, too large, HTTP error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CheckedTarget:
    """A URL that passed the guard, with the public address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    allowed_ports: frozenset[int] = field(default_factory=lambda: DEFAULT_PORTS)


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SsrfRefused("unresolvable", f"The host name {host!r} does not resolve.") from exc
    return [str(info[4][0]) for info in infos]


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses. IPv6 forms that embed an IPv4 address
    (mapped, 6to4, Teredo) are judged by the embedded address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public_address(embedded)
        if address.teredo is not None:
            return is_public_address(address.teredo[1])
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(
    url: str, *, resolver: Resolver = system_resolver, policy: FetchPolicy | None = None
) -> CheckedTarget:
    """Resolve and vet `url`; raise `SsrfRefused` unless every resolved address is public."""
    policy = policy or FetchPolicy()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SsrfRefused("scheme", f"Only http and https URLs can be fetched, not {url!r}.")
    if parts.username is not None or parts.password is not None:
        raise SsrfRefused("credentials", "A URL with a user name or password is not fetched.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise SsrfRefused("host", f"The URL {url!r} has no host name.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise SsrfRefused("port", f"The URL {url!r} has an invalid port.") from exc
    if port not in policy.allowed_ports:
        raise SsrfRefused(
            "port", f"Port {port} is not allowed (only {sorted(policy.allowed_ports)})."
        )
    answers = list(resolver(host, port))
    if not answers:
        raise SsrfRefused("unresolvable", f"The host name {host!r} does not resolve.")
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer.split("%", 1)[0]))
        except ValueError as exc:
            raise SsrfRefused("address", f"{host!r} resolved to an invalid address.") from exc
    for address in addresses:
        if not is_public_address(address):
            raise SsrfRefused(
                "private_address",
                f"{host!r} resolves to {address}, which is not a public address: not fetched.",
            )
    return CheckedTarget(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def _pinned_request(client: httpx.Client, target: CheckedTarget) -> httpx.Request:
    """A request to the checked address itself, with the original Host header and TLS name, so
    that a second DNS answer (rebinding) cannot redirect the connection."""
    parts = urlsplit(target.url)
    pinned = httpx.URL(target.url).copy_with(host=str(target.address), port=target.port)
    host_header = target.host if parts.port is None else f"{target.host}:{target.port}"
    return client.build_request(
        "GET",
        pinned,
        headers={"Host": host_header, "Accept": "*/*", "User-Agent": "envol"},
        extensions={"sni_hostname": target.host},
    )


def fetch(
    url: str,
    *,
    resolver: Resolver = system_resolver,
    policy: FetchPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """GET `url` through the guard. Redirects are followed by hand, each hop re-checked."""
    policy = policy or FetchPolicy()
    timeout = httpx.Timeout(policy.timeout_s)
    with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False) as client:
        current = url
        for _hop in range(policy.max_redirects + 1):
            target = check_url(current, resolver=resolver, policy=policy)
            request = _pinned_request(client, target)
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise FetchFailed("timeout", f"{target.host} did not answer in time.") from exc
            except httpx.HTTPError as exc:
                raise FetchFailed("connection", f"Could not fetch {current!r}: {exc}.") from exc
            try:
                if response.is_redirect and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                deadline = time.monotonic() + policy.timeout_s
                body = _read_capped(response, policy.max_bytes, deadline, current)
            finally:
                response.close()
            return FetchResult(
                url=current,
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=body,
            )
    raise FetchFailed("redirects", f"Too many redirects from {url!r}.")


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, url: str) -> bytes:
    """The body, refused past `max_bytes` or past `deadline` (a slow drip is a timeout too)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed("too_large", f"{url!r} is larger than {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed("too_large", f"{url!r} is larger than {max_bytes} bytes.")
            if time.monotonic() > deadline:
                raise FetchFailed("timeout", f"{url!r} was too slow to send its answer.")
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchFailed("timeout", f"{url!r} was too slow to send its answer.") from exc
    return b"".join(chunks)
