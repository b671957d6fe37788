"""An in-memory network under the guarded transport, for tests: a fake resolver and a network
that records every connection and answers requests like `httpx.MockTransport`.

Why not `httpx.MockTransport`: it replaces the whole transport, so it would also replace the guard
under test. This network sits where sockets are opened (`httpcore.NetworkBackend`), below the
guard: what it records is exactly where the guarded transport connected — an IP address, the TLS
server name, the request as it left. Requests are parsed and answers written with `h11`, the
HTTP/1.1 library httpcore itself uses.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import h11
import httpcore
import httpx

Handler = Callable[[str, httpx.Request], httpx.Response]
"""(the IP address connected to, the request) → the answer."""


@dataclass
class Connection:
    address: str
    port: int
    server_name: str | None = None  # set when TLS starts
    requests: list[httpx.Request] = field(default_factory=list)


class ScriptedNetwork(httpcore.NetworkBackend):
    """Records each connection; answers each request with `handler(address, request)`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections: list[Connection] = []

    @property
    def addresses(self) -> list[str]:
        return [connection.address for connection in self.connections]

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        connection = Connection(host, port)
        self.connections.append(connection)
        return _ScriptedStream(self, connection)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise AssertionError("no unix socket expected")

    def sleep(self, seconds: float) -> None:
        return None


class _ScriptedStream(httpcore.NetworkStream):
    def __init__(self, network: ScriptedNetwork, connection: Connection) -> None:
        self._network = network
        self._connection = connection
        self._server = h11.Connection(h11.SERVER)
        self._outgoing = bytearray()
        self._request: h11.Request | None = None
        self._body = bytearray()

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return  # h11 takes empty data for the end of the connection
        self._server.receive_data(buffer)
        while True:
            event = self._server.next_event()
            if (
                event is h11.NEED_DATA
                or event is h11.PAUSED
                or isinstance(event, h11.ConnectionClosed)
            ):
                return
            if isinstance(event, h11.Request):
                self._request, self._body = event, bytearray()
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self._answer()

    def _answer(self) -> None:
        assert self._request is not None
        headers = [(name.decode(), value.decode()) for name, value in self._request.headers]
        host = dict(headers).get("host", self._connection.address)
        scheme = "https" if self._connection.server_name is not None else "http"
        request = httpx.Request(
            self._request.method.decode(),
            f"{scheme}://{host}{self._request.target.decode()}",
            headers=headers,
            content=bytes(self._body),
        )
        self._connection.requests.append(request)
        response = self._network.handler(self._connection.address, request)
        body = response.read()
        reply = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        reply.append(("content-length", str(len(body))))
        for event in (
            h11.Response(status_code=response.status_code, headers=reply),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self._outgoing += self._server.send(event) or b""
        if self._server.our_state is h11.DONE and self._server.their_state is h11.DONE:
            self._server.start_next_cycle()

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        chunk = bytes(self._outgoing[:max_bytes])
        del self._outgoing[:max_bytes]
        return chunk

    def close(self) -> None:
        return None

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self._connection.server_name = server_hostname
        return self

    def get_extra_info(self, info: str) -> Any:
        return None


def table_resolver(table: dict[str, Sequence[str]]) -> Callable[[str, int], list[str]]:
    """A resolver answering from `table` (host → addresses); records the names it was asked."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return list(table.get(host, []))

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def changing_resolver(*answers: Sequence[str]) -> Callable[[str, int], list[str]]:
    """A resolver whose answer changes at each call (the last one repeats): DNS rebinding."""
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return list(answers[min(len(calls), len(answers)) - 1])

    resolve.asked = calls  # type: ignore[attr-defined]
    return resolve


def loopback() -> httpx.BaseTransport:
    """The guarded transport as the sandbox and the tests run it (ENVOL_ALLOW_PRIVATE_NETWORKS):
    the test servers listen on 127.0.0.1."""
    from envol.networks.ssrf import GuardedTransport

    return GuardedTransport(allow_private=True)
