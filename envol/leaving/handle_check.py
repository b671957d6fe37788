"""Does the organisation's Bluesky handle carry its own domain? Official accounts of public bodies
should: a handle like `@ville-exemple.fr` proves who speaks. A domain becomes a handle when it
publishes the account's DID, by DNS (`_atproto.<domain>` TXT "did=…") or over HTTPS
(`https://<domain>/.well-known/atproto-did`). We check both and, when neither is right, give the
exact record to add.

The lookups are injectable; the HTTPS one always goes through the SSRF guard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from envol import outbound
from envol.networks import ssrf

TxtLookup = Callable[[str], list[str]]
WellKnownFetch = Callable[[str], str | None]

WELL_KNOWN_MAX_BYTES = 2048


class HandleStatus(StrEnum):
    OK = "ok"  # the handle is the domain and the domain points to the account
    READY = "ready"  # the domain points to the account: switch the handle in Bluesky
    MISSING = "missing"  # nothing published: add the record
    MISMATCH = "mismatch"  # the domain points to another account: replace the record
    UNKNOWN_DID = "unknown_did"  # we do not know the account's DID yet


@dataclass(frozen=True)
class HandleCheck:
    domain: str
    handle: str
    did: str
    status: HandleStatus
    found_dids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def record_name(self) -> str:
        return f"_atproto.{self.domain}"

    @property
    def record_value(self) -> str:
        return f"did={self.did}"

    @property
    def well_known_url(self) -> str:
        return f"https://{self.domain}/.well-known/atproto-did"


def domain_of(website: str) -> str:
    """`https://www.ville-exemple.fr/accueil` → `ville-exemple.fr` ('' when there is none)."""
    host = (urlsplit(website.strip()).hostname or "").rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    if "." not in host or host.replace(".", "").isdigit() or ":" in host:
        return ""
    return host


def dns_txt_lookup(name: str) -> list[str]:
    """TXT strings at `name` through the system's resolver (empty when the name does not exist)."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=3.0)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return []
    except dns.exception.Timeout:
        return []
    return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


def https_well_known(domain: str) -> str | None:
    """The DID served at /.well-known/atproto-did, through the SSRF guard; None when absent."""
    policy = outbound.fetch_policy(timeout_s=4.0, max_bytes=WELL_KNOWN_MAX_BYTES, max_redirects=0)
    try:
        result = ssrf.fetch(f"https://{domain}/.well-known/atproto-did", policy=policy)
    except (ssrf.SsrfRefused, ssrf.FetchFailed):
        return None
    if result.status != 200:
        return None
    return result.body.decode("utf-8", "replace").strip()


def check_domain_handle(
    domain: str,
    handle: str,
    did: str,
    *,
    txt_lookup: TxtLookup = dns_txt_lookup,
    well_known: WellKnownFetch = https_well_known,
) -> HandleCheck:
    handle = handle.lstrip("@").lower()
    if not did:
        return HandleCheck(domain, handle, did, HandleStatus.UNKNOWN_DID)
    # The handle may already be a sub-domain (communication.ville.fr): check what it names.
    target = handle if handle == domain or handle.endswith("." + domain) else domain
    found: list[str] = []
    for text in txt_lookup(f"_atproto.{target}"):
        if text.startswith("did="):
            found.append(text[4:].strip())
    served = well_known(target)
    if served and served.startswith("did:"):
        found.append(served)
    found = list(dict.fromkeys(found))
    problems = []
    if len(found) > 1:
        problems.append("several DIDs published")
    if did in found and len(found) == 1:
        status = HandleStatus.OK if target == handle else HandleStatus.READY
    elif found:
        status = HandleStatus.MISMATCH
    else:
        status = HandleStatus.MISSING
    return HandleCheck(target, handle, did, status, found, problems)
