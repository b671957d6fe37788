"""The adapters reach the networks only through the guarded transport: the Bluesky SDK's own
client (its redirects, the PDS its login's DID document names) and the Mastodon adapter, proven
with a fake resolver and an in-memory network that records every connection."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from envol.networks.atproto_oauth import SigningKey, auth_server_of, dpop_proof
from envol.networks.base import NetworkError
from envol.networks.bluesky import BlueskyConfig, BlueskyNetwork, HandleLookups
from envol.networks.guarded import GuardedError, Http, post_form
from envol.networks.mastodon import MastodonNetwork, register_app
from envol.networks.ssrf import GuardedTransport, SsrfRefused
from envol.testing.outbound import ScriptedNetwork, table_resolver

ENTRYWAY = "93.184.216.34"
INTERNAL = "10.0.0.7"
RESOLVER = {
    "entryway.example": [ENTRYWAY],
    "social.example": [ENTRYWAY],
    "pds.internal.example": [INTERNAL],
}
NO_LOOKUPS = HandleLookups(txt=lambda name: [], well_known=lambda url: None)
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def jwt(expires: int = 4_102_444_800) -> str:
    """An unsigned token the SDK can read the expiry of (the SDK never checks signatures)."""

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part({'exp': expires, 'sub': DID})}.c2ln"


def session_naming(pds: str) -> dict[str, object]:
    """A createSession answer whose DID document sends later calls to `pds`."""
    return {
        "accessJwt": jwt(),
        "refreshJwt": jwt(),
        "handle": "ville.example",
        "did": DID,
        "didDoc": {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": DID,
            "alsoKnownAs": ["at://ville.example"],
            "verificationMethod": [],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": pds,
                }
            ],
        },
    }


def guarded(network: ScriptedNetwork) -> GuardedTransport:
    return GuardedTransport(resolver=table_resolver(RESOLVER), network=network)


def log_in_through(network: ScriptedNetwork) -> BlueskyNetwork:
    """A Bluesky login at the entryway, with the app password, over `network`."""
    return BlueskyNetwork.login(
        BlueskyConfig(service="https://entryway.example"),
        "ville.example",
        "app-pass-word",
        transport=guarded(network),
        lookups=NO_LOOKUPS,
    )


def test_a_login_redirected_to_a_private_address_never_sends_the_password_there() -> None:
    def entryway(address: str, request: httpx.Request) -> httpx.Response:
        target = "http://pds.internal.example/xrpc/com.atproto.server.createSession"
        return httpx.Response(307, headers={"location": target})

    network = ScriptedNetwork(entryway)
    with pytest.raises(SsrfRefused) as refused:
        log_in_through(network)
    assert refused.value.code == "private_address"
    assert isinstance(refused.value, NetworkError)
    assert network.addresses == [ENTRYWAY]  # the 307 was not followed to 10.0.0.7


def test_a_did_document_naming_a_private_pds_is_never_reached() -> None:
    def entryway(address: str, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/xrpc/com.atproto.server.createSession"
        return httpx.Response(200, json=session_naming("https://pds.internal.example"))

    network = ScriptedNetwork(entryway)
    bluesky = log_in_through(network)
    assert "pds.internal.example" in bluesky.export_session()  # the SDK switched…
    with pytest.raises(SsrfRefused) as refused:
        bluesky.whoami()  # …but the first call with the token there is refused
    assert refused.value.code == "private_address"
    assert network.addresses == [ENTRYWAY]


def test_a_did_document_naming_a_public_pds_is_followed() -> None:
    """The switch itself is the protocol's (an account lives on its PDS): only the address is
    checked, so the guard does not break the normal case."""

    def server(address: str, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createSession"):
            return httpx.Response(200, json=session_naming("https://social.example"))
        return httpx.Response(200, json={"did": DID, "handle": "ville.example"})

    network = ScriptedNetwork(server)
    bluesky = log_in_through(network)
    assert bluesky.whoami().remote_id == DID
    assert [c.server_name for c in network.connections] == ["entryway.example", "social.example"]


def test_the_mastodon_adapter_does_not_follow_a_redirect_to_a_private_address() -> None:
    def instance(address: str, request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://pds.internal.example/"})

    network = ScriptedNetwork(instance)
    mastodon = MastodonNetwork("https://social.example", "token", transport=guarded(network))
    with pytest.raises(NetworkError):
        mastodon.whoami()
    assert network.addresses == [ENTRYWAY]


def test_mastodon_oauth_refuses_an_instance_on_a_private_address() -> None:
    network = ScriptedNetwork(lambda address, request: httpx.Response(200, json={}))
    with pytest.raises(SsrfRefused):
        register_app(
            "https://pds.internal.example", "urn:ietf:wg:oauth:2.0:oob", transport=guarded(network)
        )
    assert network.connections == []


def test_oauth_metadata_naming_a_private_authorisation_server_is_never_reached() -> None:
    """Sign-in with Bluesky: the PDS (a remote party) names the authorisation server; the
    guarded transport under `Http` refuses it when it resolves to a private address."""

    def pds(address: str, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/.well-known/oauth-protected-resource"
        return httpx.Response(200, json={"authorization_servers": ["https://pds.internal.example"]})

    network = ScriptedNetwork(pds)
    with pytest.raises(GuardedError) as refused:
        auth_server_of("https://social.example", Http(transport=guarded(network)))
    assert refused.value.code == "address"
    assert network.addresses == [ENTRYWAY]


def test_a_dpop_token_request_to_a_private_address_is_refused_before_any_connection() -> None:
    network = ScriptedNetwork(lambda address, request: httpx.Response(200, json={}))
    proof = dpop_proof(SigningKey.generate(), "POST", "https://pds.internal.example/oauth/token")
    with pytest.raises(GuardedError) as refused:
        post_form(
            Http(transport=guarded(network)),
            "https://pds.internal.example/oauth/token",
            {"grant_type": "authorization_code"},
            {"DPoP": proof},
        )
    assert refused.value.code == "address"
    assert network.connections == []


def test_the_default_http_is_the_strict_guard() -> None:
    """A feed or metadata fetch without a transport given still refuses loopback (the Django
    layer passes `outbound.transport()`, which only ENVOL_ALLOW_PRIVATE_NETWORKS relaxes)."""
    with pytest.raises(GuardedError) as refused:
        Http().get("http://127.0.0.1:9/.well-known/envol/crosswalk-key")
    assert refused.value.code == "address"
