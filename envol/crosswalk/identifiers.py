"""Validation and normal forms of the identifiers the crosswalk stores.

Precompiled patterns, no Django: the dataset reader calls these once per row of files holding
millions of rows, and the sources call them on untrusted profile text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

X_ID = re.compile(r"[0-9]{1,20}")
X_HANDLE = re.compile(r"@?([A-Za-z0-9_]{1,15})")
DID = re.compile(r"did:plc:[a-z2-7]{24}|did:web:[a-z0-9.-]{1,253}(?:%3a[0-9]{1,5})?")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?")
MASTODON_ACCT = re.compile(r"@?([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@(" + DOMAIN.pattern + ")")
MASTODON_URL = re.compile(r"https?://(" + DOMAIN.pattern + r")/@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)/?")
X_ID_MAX = 2**63 - 1  # X ids are 63-bit snowflakes; stored as a signed 64-bit integer

BLUESKY = "bluesky"
MASTODON = "mastodon"
NETWORKS = (BLUESKY, MASTODON)


class InvalidIdentifier(ValueError):
    """The value is not a well-formed identifier; the message says which and why."""


def x_id(value: str | int) -> int:
    """A numeric X account id, as the integer the crosswalk stores."""
    value = str(value).strip()
    if not X_ID.fullmatch(value) or int(value) > X_ID_MAX:
        raise InvalidIdentifier(f"x_id {value[:40]!r} is not a numeric X account id")
    return int(value)


def x_handle(value: str) -> str:
    """An X username without '@' (as typed; X compares them without case)."""
    value = value.strip()
    found = X_HANDLE.fullmatch(value)
    if found is None:
        raise InvalidIdentifier(f"x_handle {value[:40]!r} is not an X username (1–15 of A-Z 0-9 _)")
    return found.group(1)


def did(value: str) -> str:
    value = value.strip()
    if len(value) > 300 or not DID.fullmatch(value):
        raise InvalidIdentifier(
            f"bluesky_did {value[:60]!r} is not a DID "
            "(did:plc:<24 base32 letters> or did:web:<host>)"
        )
    return value


def bluesky_handle(value: str) -> str:
    value = value.strip().lstrip("@").lower()
    if len(value) > 253 or not DOMAIN.fullmatch(value):
        raise InvalidIdentifier(f"bluesky_handle {value[:60]!r} is not a domain name handle")
    return value


@dataclass(frozen=True)
class MastodonAccount:
    acct: str  # user@domain, lower case: the identity the crosswalk keys on
    url: str  # https://domain/@user

    @property
    def username(self) -> str:
        return self.acct.split("@", 1)[0]

    @property
    def domain(self) -> str:
        return self.acct.split("@", 1)[1]


def mastodon_account(value: str) -> MastodonAccount:
    """`user@domain`, `@user@domain` or `https://domain/@user`."""
    value = value.strip().lower()
    if len(value) <= 300:
        acct = MASTODON_ACCT.fullmatch(value)
        if acct:
            user, domain = acct.group(1), acct.group(2)
            return MastodonAccount(f"{user}@{domain}", f"https://{domain}/@{user}")
        url = MASTODON_URL.fullmatch(value)
        if url:
            domain, user = url.group(1), url.group(2)
            return MastodonAccount(f"{user}@{domain}", f"https://{domain}/@{user}")
    raise InvalidIdentifier(
        f"mastodon_account {value[:60]!r} is not user@domain or https://domain/@user"
    )


def confidence(value: str | float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidIdentifier(f"confidence {str(value)[:20]!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise InvalidIdentifier(f"confidence {number} is outside [0, 1]")
    return number


def website_domain(url: str) -> str | None:
    """The host of a website URL, lower case, without a leading www.; None if there is none."""
    found = re.match(r"\s*(?:https?://)?([^/\s:?#]+)", url.strip().lower())
    if not found:
        return None
    host = found.group(1).removeprefix("www.")
    return host if DOMAIN.fullmatch(host) else None
