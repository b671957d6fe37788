"""Lookups for the identity sources, built on the networks layer (`envol.networks`).

A source takes a plain function (name → stable id or None); this turns a connected network
adapter into one, so the sources never depend on how a network is reached — and run offline
when no adapter is given.
"""

from __future__ import annotations

from envol.crosswalk.sources import Lookup, LookupUnavailable
from envol.networks.base import Network, NetworkError, NotFound


def lookup_from(network: Network) -> Lookup:
    """`network.resolve`: a Bluesky handle → its DID, a Mastodon `user@domain` → its id;
    None when the account does not exist, LookupUnavailable when the network cannot answer."""

    def lookup(name: str) -> str | None:
        try:
            return network.resolve(name).remote_id
        except NotFound:
            return None
        except NetworkError as exc:
            raise LookupUnavailable(str(exc)) from exc

    return lookup
