"""How long a follow migration takes at a network's published limits, before it starts: the
paces of Bluesky and Mastodon follows, simulated by the engine's `jobs.pace` (one simulation for
every batch job, so the follow and history migrations estimate alike). Pure Python."""

from __future__ import annotations

from datetime import datetime

from envol.jobs.pace import Limit, NetworkPace, batch_size, seconds_to_send
from envol.networks.ratelimit import BLUESKY_WRITE_COSTS, BLUESKY_WRITE_POLICIES, MASTODON_POLICIES

__all__ = ["BLUESKY_PACE", "MASTODON_PACE", "batch_size", "seconds_to_follow"]

BLUESKY_BATCH = 200
MASTODON_BATCH = 40  # relationships are read 40 at a time
CALL_LATENCY_S = 0.3  # one applyWrites of 200 on a PDS, measured (notes/bluesky-pds.md)

BLUESKY_PACE = NetworkPace(
    limits=(Limit(BLUESKY_WRITE_POLICIES, BLUESKY_WRITE_COSTS["create"]),),
    max_batch=BLUESKY_BATCH,
    seconds_per_batch=CALL_LATENCY_S,
)
# Mastodon: one follow call per account plus one relationships call per batch, within
# 300 requests / 5 min; and 400 follows / 24 h.
MASTODON_PACE = NetworkPace(
    limits=(
        Limit(MASTODON_POLICIES["follow"], 1, action="follow"),
        Limit(MASTODON_POLICIES["request"], 1, per_batch=1, action="request"),
    ),
    max_batch=MASTODON_BATCH,
    seconds_per_batch=MASTODON_BATCH * 0.1,
)


def seconds_to_follow(count: int, pace: NetworkPace, *, start: datetime | None = None) -> float:
    """Seconds to send `count` follows from fresh budgets, batch by batch, waiting out windows."""
    return seconds_to_send(count, pace, start=start)
