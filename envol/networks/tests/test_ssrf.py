"""The SSRF guard, proven with addresses only: an injected resolver, httpx's in-memory transport."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest

from envol.networks.ssrf import (
    FetchFailed,
    FetchPolicy,
    Resolver,
    SsrfRefused,
    check_url,
    fetch,
)

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
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="did:plc:abc", headers={"content-type": "text/plain"})

    result = fetch(
        "https://example.org/.well-known/atproto-did",
        resolver=resolving_to(PUBLIC_V4),
        transport=httpx.MockTransport(handler),
    )
    assert result.body == b"did:plc:abc" and result.status == 200
    assert seen[0].url.host == PUBLIC_V4
    assert seen[0].headers["host"] == "example.org"
    assert seen[0].extensions["sni_hostname"] == "example.org"


def test_redirect_to_a_private_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://internal.example/admin"})

    resolver = table_resolver({"example.org": [PUBLIC_V4], "internal.example": ["10.1.1.1"]})
    with pytest.raises(SsrfRefused) as refused:
        fetch(
            "https://example.org/",
            resolver=resolver,
            transport=httpx.MockTransport(handler),
        )
    assert refused.value.code == "private_address"


def test_redirects_are_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/again"})

    with pytest.raises(FetchFailed) as failed:
        fetch(
            "https://example.org/",
            resolver=resolving_to(PUBLIC_V4),
            transport=httpx.MockTransport(handler),
            policy=FetchPolicy(max_redirects=2),
        )
    assert failed.value.code == "redirects"


@pytest.mark.parametrize("declare_length", [True, False])
def test_body_larger_than_the_cap_is_refused(declare_length: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = b"x" * 5000
        if declare_length:
            return httpx.Response(200, content=body)
        return httpx.Response(200, content=iter([body[:2500], body[2500:]]))

    with pytest.raises(FetchFailed) as failed:
        fetch(
            "https://example.org/",
            resolver=resolving_to(PUBLIC_V4),
            transport=httpx.MockTransport(handler),
            policy=FetchPolicy(max_bytes=1000),
        )
    assert failed.value.code == "too_large"


def test_timeouts_become_fetch_failed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FetchFailed) as failed:
        fetch(
            "https://example.org/",
            resolver=resolving_to(PUBLIC_V4),
            transport=httpx.MockTransport(handler),
        )
    assert failed.value.code == "timeout"
