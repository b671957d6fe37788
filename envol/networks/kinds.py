"""`kinds_for(platform)`: the kinds table of any platform, from its adapter's capabilities when
envol has an adapter, else from the closed platforms' table (`metrics.CLOSED_PLATFORMS`)."""

from __future__ import annotations

from envol.networks.metrics import CLOSED_PLATFORMS, MetricKinds, Platform


def kinds_for(platform: Platform | str) -> MetricKinds:
    platform = Platform(platform)
    if platform == Platform.BLUESKY:
        from envol.networks.bluesky import CAPABILITIES

        return CAPABILITIES.metrics
    if platform == Platform.MASTODON:
        # An instance's capabilities need a call; its metric kinds do not depend on the instance.
        from envol.networks.metrics import MASTODON_METRICS

        return MASTODON_METRICS
    return CLOSED_PLATFORMS[platform]
