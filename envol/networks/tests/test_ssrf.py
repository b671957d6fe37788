"""The guarded transport, proven with addresses only: a fake resolver and an in-memory network that
records where each connection went (`envol.testing.outbound`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx
import pytest

from envol.networks.sent import when_sent
from envol.networks.ssrf import (
    FetchFailed,
    FetchPolicy,
    GuardedTransport,
    Resolver,
    SsrfRefused,
    check_url,
    fetch,
)
from envol.testing.outbound import ScriptedNetwork, changing_resolver

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


def resolving_to(*addresses: str) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


def table_resolver(table: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        return table.get(host, [])

    return resolve


def answering(handler: Callable[[httpx.Request], httpx.Response]) -> ScriptedNetwork:
    return ScriptedNetwork(lambda address, request: handler(request))


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="did:plc:abc", headers={"content-type": "text/plain"})


def guarded(resolver: Resolver, network: ScriptedNetwork, **options: object) -> GuardedTransport:
    return GuardedTransport(resolver=resolver, network=network, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address to refuse, not a bind)
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.1.2.3",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "fe80::1%eth0",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(SsrfRefused) as refused:
        check_url("https://example.org/x", resolver=resolving_to(address))
    assert refused.value.code in {"private_address", "address"}


def test_one_private_answer_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(SsrfRefused, match=r"10\.0\.0\.1"):
        check_url("https://example.org/", resolver=resolving_to(PUBLIC_V4, "10.0.0.1"))


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6])
def test_public_addresses_pass(address: str) -> None:
    target = check_url("https://Example.org./path", resolver=resolving_to(address))
    assert target.host == "example.org"
    assert str(target.address) == address
    assert target.port == 443


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("file:///etc/passwd", "scheme"),
        ("gopher://example.org/", "scheme"),
        ("ftp://example.org/", "scheme"),
        ("https://user:pw@example.org/", "credentials"),
        ("https:///nohost", "host"),
        ("https://example.org:6379/", "port"),
        ("https://example.org:99999/", "port"),
    ],
)
def test_bad_urls_are_refused_before_any_lookup(url: str, code: str) -> None:
    def no_lookup(host: str, port: int) -> Sequence[str]:
        raise AssertionError("no DNS lookup expected")

    with pytest.raises(SsrfRefused) as refused:
        check_url(url, resolver=no_lookup)
    assert refused.value.code == code


def test_literal_private_ip_in_url_is_refused_after_resolution() -> None:
    # The system resolver turns "2130706433" into 127.0.0.1: the check is on what it resolves to.
    with pytest.raises(SsrfRefused):
        check_url("http://2130706433/", resolver=resolving_to("127.0.0.1"))


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(SsrfRefused) as refused:
        check_url("https://nowhere.invalid/", resolver=resolving_to())
    assert refused.value.code == "unresolvable"


def test_fetch_connects_to_the_checked_address_with_the_original_host_name() -> None:
    network = answering(ok)
    result = fetch(
        "https://example.org/.well-known/atproto-did",
        transport=guarded(resolving_to(PUBLIC_V4), network),
    )
    assert result.body == b"did:plc:abc" and result.status == 200
    (connection,) = network.connections
    assert (connection.address, connection.port) == (PUBLIC_V4, 443)
    assert connection.server_name == "example.org"  # TLS name and certificate: the host name
    assert connection.requests[0].headers["host"] == "example.org"


def test_rebinding_cannot_move_the_connection() -> None:
    """The name resolves once: public at the check, private if asked again. The connection goes to
    the first answer and the name is never resolved a second time."""
    resolver = changing_resolver([PUBLIC_V4], ["127.0.0.1"])
    network = answering(ok)
    with httpx.Client(transport=guarded(resolver, network)) as client:
        assert client.get("https://rebind.example/").status_code == 200
        assert client.get("https://rebind.example/again").status_code == 200  # pooled
    assert network.addresses == [PUBLIC_V4]
    assert resolver.asked == ["rebind.example"]  # type: ignore[attr-defined]


def test_each_new_connection_is_checked_again() -> None:
    resolver = changing_resolver([PUBLIC_V4], ["10.0.0.9"])
    network = answering(lambda request: httpx.Response(200, headers={"connection": "close"}))
    with httpx.Client(transport=guarded(resolver, network)) as client:
        client.get("https://rebind.example/")
        with pytest.raises(SsrfRefused) as refused:
            client.get("https://rebind.example/")  # the server closed: a new connection
    assert refused.value.code == "private_address"
    assert network.addresses == [PUBLIC_V4]


def test_a_redirect_to_a_private_address_is_refused_before_connecting() -> None:
    resolver = table_resolver({"example.org": [PUBLIC_V4], "internal.example": ["10.1.1.1"]})
    network = answering(
        lambda request: httpx.Response(307, headers={"location": "http://internal.example/admin"})
    )
    client = httpx.Client(transport=guarded(resolver, network), follow_redirects=True)
    with client, pytest.raises(SsrfRefused) as refused:
        client.post("https://example.org/login", content=b"secret")
    assert refused.value.code == "private_address"
    assert network.addresses == [PUBLIC_V4]


@pytest.mark.parametrize("location", ["http://internal.example:6379/", "file:///etc/passwd"])
def test_a_redirect_to_a_refused_form_of_url_is_refused(location: str) -> None:
    network = answering(lambda request: httpx.Response(302, headers={"location": location}))
    with pytest.raises(SsrfRefused):
        fetch("https://example.org/", transport=guarded(resolving_to(PUBLIC_V4), network))


def test_the_same_address_under_two_names_gets_two_connections() -> None:
    """The pool is keyed by host name, so a TLS connection checked for one name never carries the
    requests of another name that resolves to the same address."""
    network = answering(ok)
    with httpx.Client(transport=guarded(resolving_to(PUBLIC_V4), network)) as client:
        client.get("https://a.example/")
        client.get("https://b.example/")
    assert [c.server_name for c in network.connections] == ["a.example", "b.example"]


def test_private_networks_can_be_allowed_for_the_sandbox() -> None:
    network = answering(ok)
    transport = guarded(resolving_to("127.0.0.1"), network, allow_private=True)
    with httpx.Client(transport=transport) as client:
        assert client.get("http://localhost:2583/xrpc/_health").status_code == 200
    assert network.addresses == ["127.0.0.1"]


def test_the_next_checked_address_is_tried_when_one_does_not_answer() -> None:
    class FirstFails(ScriptedNetwork):
        def connect_tcp(self, host: str, port: int, *args: object, **kwargs: object) -> object:  # type: ignore[override]
            if host == PUBLIC_V6:
                raise httpx_core_connect_error()
            return super().connect_tcp(host, port)

    network = FirstFails(lambda address, request: ok(request))
    fetch("https://example.org/", transport=guarded(resolving_to(PUBLIC_V6, PUBLIC_V4), network))
    assert network.addresses == [PUBLIC_V4]


def httpx_core_connect_error() -> Exception:
    import httpcore

    return httpcore.ConnectError("unreachable")


def test_redirect_to_a_private_address_is_refused() -> None:
    network = answering(
        lambda request: httpx.Response(302, headers={"location": "http://internal.example/admin"})
    )
    resolver = table_resolver({"example.org": [PUBLIC_V4], "internal.example": ["10.1.1.1"]})
    with pytest.raises(SsrfRefused) as refused:
        fetch("https://example.org/", transport=guarded(resolver, network))
    assert refused.value.code == "private_address"


def test_redirects_are_bounded() -> None:
    network = answering(lambda request: httpx.Response(302, headers={"location": "/again"}))
    with pytest.raises(FetchFailed) as failed:
        fetch(
            "https://example.org/",
            transport=guarded(resolving_to(PUBLIC_V4), network),
            policy=FetchPolicy(max_redirects=2),
        )
    assert failed.value.code == "redirects"
    assert len(network.connections[0].requests) == 3


def test_body_larger_than_the_cap_is_refused() -> None:
    network = answering(lambda request: httpx.Response(200, content=b"x" * 5000))
    with pytest.raises(FetchFailed) as failed:
        fetch(
            "https://example.org/",
            transport=guarded(resolving_to(PUBLIC_V4), network),
            policy=FetchPolicy(max_bytes=1000),
        )
    assert failed.value.code == "too_large"


def test_timeouts_become_fetch_failed() -> None:
    def slow(address: str, request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FetchFailed) as failed:
        fetch(
            "https://example.org/",
            transport=guarded(resolving_to(PUBLIC_V4), ScriptedNetwork(slow)),
        )
    assert failed.value.code == "timeout"


def test_a_listener_hears_each_request_leave_with_its_whole_body() -> None:
    """`when_sent`: the job step's signal that a call's request has left (`envol.jobs.overlap`),
    heard once per request sent in the block, after the server has the whole body; a trace
    already on the request still hears everything."""
    network = answering(ok)
    heard: list[bytes] = []
    traced: list[str] = []
    body = b"w" * 100_000

    def request_left() -> None:
        heard.append(network.connections[-1].requests[-1].content)

    transport = guarded(resolving_to(PUBLIC_V4), network)
    with httpx.Client(transport=transport) as client:
        with when_sent(request_left):
            client.post("https://pds.example/a", content=body)
            client.post(
                "https://pds.example/b",
                content=b"short",
                extensions={"trace": lambda event, info: traced.append(event)},
            )
        client.post("https://pds.example/c", content=b"not listened to")
    assert heard == [body, b"short"]
    assert "http11.send_request_body.complete" in traced
