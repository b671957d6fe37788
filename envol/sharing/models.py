"""The crosswalk shared between instances: what this instance publishes, what it subscribes to.

`FeedChange` is the publishing side's journal: every *public dataset* link that appears
(someone chose that consent level) or disappears (they lowered it, or deleted their space), in
order. The feed is this journal read from a cursor, so a subscriber gets increments, removals
included. `Subscription` is the other side: a feed this instance pulls, its pinned public key
and how far it read — a job of the engine, due at its next pull.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.jobs.machine import StateMachine
from envol.jobs.models import Job


class FeedChange(models.Model):
    class Op(models.TextChoices):
        ADD = "add"
        REMOVE = "remove"

    # The primary key is the feed's cursor: strictly increasing, never reused.
    op = models.CharField(max_length=6, choices=Op.choices)
    x_id = models.CharField(max_length=20)
    x_handle = models.CharField(max_length=50, blank=True)
    network = models.CharField(max_length=10)
    remote_id = models.CharField(max_length=300)
    remote_handle = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.pk} {self.op} x:{self.x_id} → {self.network}:{self.remote_id}"


class SubscriptionState(models.TextChoices):
    ACTIVE = "active", _("Pulled on schedule")
    PAUSED = "paused", _("Paused")


SUBSCRIPTION_MACHINE = StateMachine(
    "subscription",
    SubscriptionState,
    {
        SubscriptionState.ACTIVE: {SubscriptionState.PAUSED},
        SubscriptionState.PAUSED: {SubscriptionState.ACTIVE},
    },
    runnable=[SubscriptionState.ACTIVE],
)


class Subscription(Job):
    """A feed of another instance, pulled into the crosswalk as `source`: one page a step,
    then due again at the next pull (`ENVOL_CROSSWALK_PULL_MINUTES`). The job's `last_error`
    says why the last pull failed (the engine retries with its backoff)."""

    State = SubscriptionState
    machine = SUBSCRIPTION_MACHINE
    state = SUBSCRIPTION_MACHINE.field()

    url = models.URLField(max_length=500)
    source = models.CharField(max_length=100, unique=True)  # dataset:<name>
    confidence = models.FloatField()
    public_key = models.CharField(max_length=100)  # Ed25519, base64url, pinned at subscription
    cursor = models.BigIntegerField(default=0)  # the last change applied
    etag = models.CharField(max_length=200, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.source} ← {self.url}"
