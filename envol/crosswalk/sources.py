"""Identity sources beyond datasets: own accounts (with consent), domain handles, cross-links
in profiles, Bridgy Fed bridges.

Every lookup that needs a network is a function given by the caller (see `lookups.py` for the
ones built on `envol.networks`); without one, a source records what it can offline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from envol.crosswalk import identifiers as ids
from envol.crosswalk import store
from envol.crosswalk.models import ConsentLevel, IdentityLink, SelfLinkConsent
from envol.orgs.models import ConnectedAccount
from envol.orgs.services import audit
from envol.portability.models import SourceAccount

# A lookup answers the stable id (a DID; a Mastodon acct) or None when the account does not
# exist; it raises LookupUnavailable when the network cannot be asked right now.
Lookup = Callable[[str], str | None]

SELF_CONFIDENCE = 1.0
DOMAIN_HANDLE_CONFIDENCE = 0.95
CROSS_LINK_CONFIDENCE = 0.7
VERIFIED_CROSS_LINK_CONFIDENCE = 0.95
BRIDGE_CANDIDATE_CONFIDENCE = 0.6
BRIDGE_CONFIRMED_CONFIDENCE = 0.9
BLUESKY_BRIDGE_DOMAIN = "bsky.brid.gy"  # a Bluesky handle h is @h@bsky.brid.gy on Mastodon
FEDIVERSE_BRIDGE_SUFFIX = ".ap.brid.gy"  # user@instance is user.instance.ap.brid.gy on Bluesky

X_HANDLE_MENTIONS = re.compile(
    r"(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:#!/)?@?([A-Za-z0-9_]{1,15})\b"
    r"|@([A-Za-z0-9_]{1,15})\s+(?:on|sur)\s+(?:X|Twitter)\b",
    re.IGNORECASE,
)
NOT_HANDLES = {"home", "intent", "share", "search", "hashtag", "i", "settings", "explore"}


class LookupUnavailable(Exception):
    """The network could not be asked (offline, timeout): the source keeps what it holds."""


@dataclass(frozen=True)
class RemoteProfile:
    """What a Bluesky or Mastodon profile says about its owner (untrusted text)."""

    network: str
    remote_id: str  # a DID, or user@domain
    handle: str
    url: str = ""
    texts: tuple[str, ...] = ()  # description, website, profile field values
    verified_texts: tuple[str, ...] = ()  # Mastodon fields verified by rel="me"


def x_handles_named(text: str) -> set[str]:
    """X usernames a text points at (x.com/h, twitter.com/h, "@h on X"), lower case."""
    found = set()
    for match in X_HANDLE_MENTIONS.finditer(text[:5000]):
        handle = (match.group(1) or match.group(2)).lower()
        if handle not in NOT_HANDLES:
            found.add(handle)
    return found


def _staged(
    x_id: str | int,
    x_handle: str,
    network: str,
    remote_id: str,
    handle: str,
    url: str,
    why: str,
    conf: float,
) -> store.StagedLink:
    """A link as the store stages it; raises InvalidIdentifier for an X id that is not one."""
    return (0, ids.x_id(x_id), x_handle, network, remote_id, handle, url, why[:500], conf)


def _record(rows: list[store.StagedLink], source: str, organisation_id: int | None = None) -> int:
    if not rows:
        return 0
    result = store.merge_links(rows, source, organisation_id=organisation_id)
    return result.imported + result.updated


# --- self: an organisation's own X account and its connected accounts, with consent ----------


def own_x_account(account: ConnectedAccount) -> SourceAccount | None:
    return (
        SourceAccount.objects.filter(organisation_id=account.organisation_id, network="x")
        .order_by("-pk")
        .first()
    )


def connected_identity(
    account: ConnectedAccount, resolve_bluesky: Lookup | None = None
) -> tuple[str, str, str] | None:
    """(remote id, handle, url) of a connected account, or None when it cannot be known."""
    if account.network == ids.MASTODON:
        handle = account.handle.strip().lstrip("@")
        if "@" not in handle and account.instance_url:
            host = re.sub(r"^https?://", "", account.instance_url).strip("/")
            handle = f"{handle}@{host}"
        try:
            acct = ids.mastodon_account(handle)
        except ids.InvalidIdentifier:
            return None
        return acct.acct, acct.acct, acct.url
    if account.network == ids.BLUESKY:
        did = account.remote_id if ids.DID.fullmatch(account.remote_id or "") else None
        if did is None and resolve_bluesky is not None:
            did = resolve_bluesky(account.handle.lstrip("@"))
        return (did, account.handle.lstrip("@"), "") if did else None
    return None


SELF_PUBLIC = "self-public"
"""A `self` link its owner put in the public dataset: matched for everyone, and published in
the instance's feed (see `envol.sharing`). Plain `self` links serve only the people whose
archive lists the owner as followed (`matching.AUDIENCE`)."""

SELF_SOURCES = ("self", SELF_PUBLIC)
SOURCE_OF_LEVEL = {ConsentLevel.FOLLOWERS: "self", ConsentLevel.PUBLIC: SELF_PUBLIC}


def _self_links(account: ConnectedAccount) -> list[int]:
    return [
        pk
        for source in SELF_SOURCES
        for pk in IdentityLink.objects.asserted_by(source, account.organisation_id)
        .filter(network=account.network)
        .values_list("pk", flat=True)
    ]


def self_link_level(account: ConnectedAccount) -> str:
    consent = SelfLinkConsent.objects.filter(connected_account=account).first()
    return consent.level if consent is not None else ConsentLevel.PRIVATE


def set_self_link_consent(
    account: ConnectedAccount,
    shared: bool,
    actor: Any = None,
    resolve_bluesky: Lookup | None = None,
) -> bool:
    """Share (or stop sharing) the link between the organisation's X account and `account`
    with the people who followed it on X. Returns True when the link is now in the crosswalk."""
    level = ConsentLevel.FOLLOWERS if shared else ConsentLevel.PRIVATE
    return set_self_link_level(account, level, actor, resolve_bluesky) is not None


@transaction.atomic
def set_self_link_level(
    account: ConnectedAccount,
    level: str,
    actor: Any = None,
    resolve_bluesky: Lookup | None = None,
) -> IdentityLink | None:
    """Set who the link between the organisation's (or person's) X account and `account` may
    serve, and make the crosswalk say exactly that: the link is removed, then written again
    under the level's source (`self` or `self-public`) unless private. Returns the link, or
    None when there is none (private, no archive yet, identity unknown). Called again after
    an archive import, it writes the link the X id now allows."""
    level = ConsentLevel(level)
    SelfLinkConsent.objects.update_or_create(
        connected_account=account,
        defaults={
            "organisation_id": account.organisation_id,
            "shared": level != ConsentLevel.PRIVATE,
            "level": level,
            "changed_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    # Whatever was shared before for this network goes first (its matches with it).
    previous = _self_links(account)
    for source in SELF_SOURCES:
        store.forget(source, organisation_id=account.organisation_id, link_ids=previous)
    link = None
    x_account = own_x_account(account)
    identity = (
        connected_identity(account, resolve_bluesky) if level != ConsentLevel.PRIVATE else None
    )
    if x_account is not None and ids.X_ID.fullmatch(x_account.remote_id) and identity:
        remote_id, handle, url = identity
        why = f"own archive @{x_account.username} and connected account {account.handle}"
        row = _staged(
            x_account.remote_id,
            x_account.username,
            account.network,
            remote_id,
            handle,
            url,
            why,
            SELF_CONFIDENCE,
        )
        if _record([row], SOURCE_OF_LEVEL[level], organisation_id=account.organisation_id):
            link = IdentityLink.objects.filter(
                x_id=x_account.remote_id, network=account.network, remote_id=remote_id
            ).first()
    audit(
        "crosswalk.self_link." + ("withdraw" if level == ConsentLevel.PRIVATE else "share"),
        organisation=account.organisation,
        actor=actor,
        obj=account,
        level=level.value,
        linked=link is not None,
    )
    return link


# --- domain-handle: an X account's website domain is a Bluesky handle -------------------------


def record_domain_handles(accounts: Iterable[tuple[str, str, str]], resolve_bluesky: Lookup) -> int:
    """`accounts`: (x id, x handle, website). A website domain that resolves as a Bluesky
    handle links the two with high confidence: only the domain's owner can set it."""
    rows = []
    for x_id, x_handle, website in accounts:
        domain = ids.website_domain(website or "")
        if domain is None:
            continue
        try:
            did = resolve_bluesky(domain)
        except LookupUnavailable:
            continue
        if did and ids.DID.fullmatch(did) and ids.X_ID.fullmatch(x_id):
            why = f"website {domain} is the Bluesky handle of {did}"
            rows.append(
                _staged(x_id, x_handle, ids.BLUESKY, did, domain, "", why, DOMAIN_HANDLE_CONFIDENCE)
            )
    return _record(rows, "domain-handle")


def archive_profiles() -> list[tuple[str, str, str]]:
    """The X accounts whose website envol knows from imported archives' profiles."""
    return list(
        SourceAccount.objects.filter(network="x")
        .exclude(website="")
        .values_list("remote_id", "username", "website")
    )


# --- cross-link: a Bluesky or Mastodon profile names the X handle ------------------------------


def record_cross_links(profiles: Iterable[RemoteProfile]) -> int:
    """Link profiles that name an X handle the crosswalk (or an archive) knows the id of."""
    named: list[tuple[RemoteProfile, str, bool]] = []
    for profile in profiles:
        sure = set().union(*(x_handles_named(t) for t in profile.verified_texts))
        loose = set().union(*(x_handles_named(t) for t in profile.texts)) - sure
        named += [(profile, h, True) for h in sure] + [(profile, h, False) for h in loose]
    if not named:
        return 0
    wanted = {h for _, h, _ in named}
    x_ids = _x_ids_for_handles(wanted)
    rows = []
    for profile, handle, verified in named:
        for x_id, x_handle in x_ids.get(handle, ()):
            conf = VERIFIED_CROSS_LINK_CONFIDENCE if verified else CROSS_LINK_CONFIDENCE
            why = f"{profile.network} profile {profile.handle} names x.com/{x_handle}" + (
                " (verified link)" if verified else ""
            )
            rows.append(
                _staged(
                    x_id,
                    x_handle,
                    profile.network,
                    profile.remote_id,
                    profile.handle,
                    profile.url,
                    why,
                    conf,
                )
            )
    return _record(rows, "cross-link")


def _x_ids_for_handles(handles: set[str]) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    pairs = list(
        IdentityLink.objects.filter(x_handle__iregex=_any_of(handles))
        .values_list("x_id", "x_handle")
        .distinct()
    ) + list(
        SourceAccount.objects.filter(network="x", username__iregex=_any_of(handles)).values_list(
            "remote_id", "username"
        )
    )
    for x_id, x_handle in pairs:
        found.setdefault(x_handle.lower(), set()).add((x_id, x_handle))
    return found


def _any_of(handles: set[str]) -> str:
    return "^(" + "|".join(sorted(re.escape(h) for h in handles)) + ")$"


# --- bridge: Bridgy Fed addresses ---------------------------------------------------------------


def bridged_mastodon_address(bluesky_handle: str) -> str:
    return f"{bluesky_handle}@{BLUESKY_BRIDGE_DOMAIN}"


def bridged_bluesky_handle(mastodon_acct: str) -> str:
    user, domain = mastodon_acct.split("@", 1)
    return f"{user.replace('_', '-')}.{domain}{FEDIVERSE_BRIDGE_SUFFIX}"


def record_bridges(
    x_ids: Iterable[str] | None = None,
    resolve_bluesky: Lookup | None = None,
    resolve_mastodon: Lookup | None = None,
) -> int:
    """Bridgy Fed candidates for links other sources found (all, or those of `x_ids`).

    A Bluesky account is recorded on Mastodon as a candidate, confirmed when the Mastodon
    lookup finds it; a Mastodon account needs its bridged handle resolved to a DID."""
    links = IdentityLink.objects.exclude(source="bridge").exclude(remote_id__contains="brid.gy")
    if x_ids is not None:
        links = links.filter(x_id__in=list(x_ids))
    rows = []
    for x_id, x_handle, network, remote_id, handle in links.values_list(
        "x_id", "x_handle", "network", "remote_id", "remote_handle"
    ).iterator():
        try:
            if network == ids.BLUESKY and handle:
                address = bridged_mastodon_address(handle)
                confirmed = resolve_mastodon(address) if resolve_mastodon else None
                conf = BRIDGE_CONFIRMED_CONFIDENCE if confirmed else BRIDGE_CANDIDATE_CONFIDENCE
                acct = ids.mastodon_account(address)
                why = f"Bridgy Fed address of {handle}" + (" (found)" if confirmed else "")
                rows.append(
                    _staged(x_id, x_handle, ids.MASTODON, acct.acct, acct.acct, acct.url, why, conf)
                )
            elif network == ids.MASTODON and resolve_bluesky is not None:
                bridged = bridged_bluesky_handle(remote_id)
                did = resolve_bluesky(bridged)
                if did and ids.DID.fullmatch(did):
                    why = f"Bridgy Fed handle of {remote_id} (found)"
                    rows.append(
                        _staged(
                            x_id,
                            x_handle,
                            ids.BLUESKY,
                            did,
                            bridged,
                            "",
                            why,
                            BRIDGE_CONFIRMED_CONFIDENCE,
                        )
                    )
        except (LookupUnavailable, ids.InvalidIdentifier):
            continue
    return _record(rows, "bridge")
