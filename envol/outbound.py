"""Outbound HTTP from the Django side: the one guarded transport, configured from the settings.

Every adapter, OAuth call and fetch that the apps make goes through `transport()` or
`fetch_policy()`, so `ENVOL_ALLOW_PRIVATE_NETWORKS` (the sandbox and the tests) is read in one
place and everything else stays on public addresses (see `envol/networks/ssrf.py`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from envol.networks.ssrf import FetchPolicy, GuardedTransport


def allow_private() -> bool:
    return bool(settings.ENVOL_ALLOW_PRIVATE_NETWORKS)


def transport() -> GuardedTransport:
    """A fresh guarded transport (its own connection pool) for one adapter or call."""
    return GuardedTransport(allow_private=allow_private())


def fetch_policy(**limits: Any) -> FetchPolicy:
    """Limits for `ssrf.fetch` (timeout, size, redirects), with the instance's address rule."""
    return FetchPolicy(allow_private=allow_private(), **limits)
