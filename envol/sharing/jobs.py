"""Subscriptions to other instances' crosswalk feeds as a job kind: each is due at its next
pull; subscriptions take turns (one page a step), so a large first pull never holds up others."""

from __future__ import annotations

from envol.jobs.kinds import JobKind, register
from envol.sharing import services
from envol.sharing.models import Subscription

FEED_PULLS = register(
    JobKind(
        model=Subscription,
        handlers={Subscription.State.ACTIVE: services.pull_step},
        fairness="pk",
    )
)
