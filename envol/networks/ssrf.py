"""The one guarded transport: every outbound request to an address a user or a remote party chose.

Why: envol runs inside public institutions' networks. A URL typed in a form (a PDS, a Mastodon
instance, an organisation's website, a feed), a redirect a server answers, or the PDS an account's
DID document names must never make the server talk to itself, its database, a cloud metadata
service or the intranet. So: http(s) only, usual ports only, no credentials in the URL, and every
address the name resolves to must be public.

The check lives where the connection is made (`PinnedBackend.connect_tcp`): the host name is
resolved once, every answer checked, and the socket opened to a checked address. Nothing resolves
the name a second time, so a DNS answer that changes between the check and the connection
(rebinding) cannot redirect it. The URL keeps its host name, so the TLS server name (SNI), the
certificate check and the connection pool's keys stay on the name. Every request — each hop of a
redirect included, since httpx sends each hop through the transport — is vetted again.

Pure Python (no Django). The resolver and the network under the pool are injectable, so tests
prove the rules with addresses only, without any outside traffic. `allow_private=True` (from
`ENVOL_ALLOW_PRIVATE_NETWORKS`) lifts the address and port rules for the sandbox and tests; the
connection is still made to the address resolved once.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import httpcore
import httpx

from envol.networks.base import NetworkError
from envol.networks.sent import tracing

Resolver = Callable[[str, int], Sequence[str]]
"""(host, port) → the IP addresses (as text) the host name resolves to."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MAX_BYTES = 64 * 1024
DEFAULT_MAX_REDIRECTS = 3
DEFAULT_PORTS = frozenset({80, 443})
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own


class SsrfRefused(NetworkError):
    """The address may not be reached. `code` is stable for programs; the message is for people.

    A `NetworkError` (never retried: it is not `Transient`), so an adapter's caller handles it like
    any other refusal of the network."""

    code = "address_refused"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class FetchFailed(Exception):
    """The fetch was allowed but did not succeed (timeout, connection, too large, HTTP error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses and ports may be reached."""

    allow_private: bool = False
    allowed_ports: frozenset[int] = field(default_factory=lambda: DEFAULT_PORTS)

    def port_allowed(self, port: int) -> bool:
        return self.allow_private or port in self.allowed_ports

    def address_allowed(self, address: IPAddress) -> bool:
        return self.allow_private or is_public_address(address)


@dataclass(frozen=True)
class CheckedTarget:
    """A URL that passed the guard, with the addresses (all checked) to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]

    @property
    def address(self) -> IPAddress:
        return self.addresses[0]


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    allowed_ports: frozenset[int] = field(default_factory=lambda: DEFAULT_PORTS)
    allow_private: bool = False

    @property
    def addresses(self) -> AddressPolicy:
        return AddressPolicy(self.allow_private, self.allowed_ports)


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One TLS context per process. Building one loads the whole CA bundle (about 20 ms of CPU,
    under the GIL): per client, it serialised concurrent publishing to several networks."""
    return httpx.create_ssl_context()


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


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def check_shape(url: str, policy: AddressPolicy | None = None) -> tuple[str, str, int]:
    """(scheme, host, port) of `url`, refused before any lookup when its form is not allowed."""
    policy = policy or AddressPolicy()
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
    if not policy.port_allowed(port):
        raise SsrfRefused(
            "port", f"Port {port} is not allowed (only {sorted(policy.allowed_ports)})."
        )
    return scheme, host, port


def resolve_checked(
    host: str, port: int, *, resolver: Resolver = system_resolver, policy: AddressPolicy
) -> tuple[IPAddress, ...]:
    """Resolve `host` once and check every answer: the addresses it is safe to connect to."""
    literal = _parse_address(host.strip("[]"))
    answers = [str(literal)] if literal is not None else list(resolver(host, port))
    if not answers:
        raise SsrfRefused("unresolvable", f"The host name {host!r} does not resolve.")
    addresses: list[IPAddress] = []
    for answer in answers:
        address = _parse_address(answer)
        if address is None:
            raise SsrfRefused("address", f"{host!r} resolved to an invalid address.")
        if not policy.address_allowed(address):
            raise SsrfRefused(
                "private_address",
                f"{host!r} resolves to {address}, which is not a public address: not fetched.",
            )
        if address not in addresses:
            addresses.append(address)
    return tuple(addresses)


def check_url(
    url: str,
    *,
    resolver: Resolver = system_resolver,
    policy: FetchPolicy | AddressPolicy | None = None,
) -> CheckedTarget:
    """Resolve and vet `url`; raise `SsrfRefused` unless every resolved address is allowed."""
    addresses = policy.addresses if isinstance(policy, FetchPolicy) else policy or AddressPolicy()
    scheme, host, port = check_shape(url, addresses)
    checked = resolve_checked(host, port, resolver=resolver, policy=addresses)
    return CheckedTarget(url=url, scheme=scheme, host=host, port=port, addresses=checked)


# --- the transport ----------------------------------------------------------------------------


class PinnedBackend(httpcore.NetworkBackend):
    """The network under the connection pool: resolves each new connection's host once, checks
    every answer, and connects to a checked address (`inner` gets an IP literal, never a name)."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver = system_resolver,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self._resolver = resolver
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if not self.policy.port_allowed(port):
            raise SsrfRefused("port", f"Port {port} is not allowed.")
        failure: Exception | None = None
        for address in resolve_checked(host, port, resolver=self._resolver, policy=self.policy):
            try:
                return self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the next checked address, as the system would
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise SsrfRefused("scheme", "Unix sockets are never reached from outbound requests.")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport with its connection pool on a `PinnedBackend`, and every request's
    URL checked (scheme, credentials, port) before it is sent. The only transport envol uses for
    outbound HTTP; `network` is for tests (an in-memory network that records connections)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        network: httpcore.NetworkBackend | None = None,
        allowed_ports: frozenset[int] = DEFAULT_PORTS,
        limits: httpx.Limits = DEFAULT_LIMITS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        context = ssl_context or tls_context()
        super().__init__(verify=context, trust_env=False, limits=limits)
        self.policy = AddressPolicy(allow_private, allowed_ports)
        # httpx builds the same pool without a way to pass the network backend: rebuild it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(self.policy, resolver, network),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        check_shape(str(request.url), self.policy)
        tracing(request.extensions)  # tells a waiting job step when the body has left
        return super().handle_request(request)


# --- fetching a small document ----------------------------------------------------------------


def fetch(
    url: str,
    *,
    resolver: Resolver = system_resolver,
    policy: FetchPolicy | None = None,
    transport: GuardedTransport | None = None,
) -> FetchResult:
    """GET `url` through the guarded transport; every redirect hop is checked again, the body is
    capped in size and time."""
    policy = policy or FetchPolicy()
    check_shape(url, policy.addresses)
    transport = transport or GuardedTransport(
        allow_private=policy.allow_private, resolver=resolver, allowed_ports=policy.allowed_ports
    )
    client = httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(policy.timeout_s),
        follow_redirects=True,
        max_redirects=policy.max_redirects,
        headers={"Accept": "*/*", "User-Agent": "envol"},
    )
    try:
        with client.stream("GET", url) as response:
            deadline = time.monotonic() + policy.timeout_s
            body = read_capped(response, policy.max_bytes, deadline, str(response.url))
            return FetchResult(
                url=str(response.url),
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=body,
            )
    except httpx.TooManyRedirects as exc:
        raise FetchFailed("redirects", f"Too many redirects from {url!r}.") from exc
    except httpx.TimeoutException as exc:
        raise FetchFailed("timeout", f"{url!r} did not answer in time.") from exc
    except httpx.HTTPError as exc:
        raise FetchFailed("connection", f"Could not fetch {url!r}: {exc}.") from exc
    finally:
        client.close()


def read_capped(response: httpx.Response, max_bytes: int, deadline: float, url: str) -> bytes:
    """The body, refused past `max_bytes` or past `deadline` (a slow drip is a timeout too)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed("too_large", f"{url!r} is larger than {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchFailed("too_large", f"{url!r} is larger than {max_bytes} bytes.")
        if time.monotonic() > deadline:
            raise FetchFailed("timeout", f"{url!r} was too slow to send its answer.")
        chunks.append(chunk)
    return b"".join(chunks)
