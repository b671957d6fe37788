"""Relays: a source (a website's feed, a Bluesky account, a Mastodon account) mirrored to some of
the organisation's connected accounts, polled by the job engine.

A `Relay` is a job whose due time is its next poll; `RelayItem` is every item it ever read,
keyed for good (`relay`, `key`), with what became of it; a relayed item is a `publishing.Post`
with `origin = relay:<id>:<key>`, so however often the source is polled, after a crash and
after the source edits the item, it is published once per target.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.jobs.machine import StateMachine
from envol.jobs.models import Job
from envol.orgs.models import ConnectedAccount, Organisation


class RelayState(models.TextChoices):
    ACTIVE = "active", _("Active")
    FAILING = "failing", _("Failing")
    PAUSED = "paused", _("Paused")


# Both ACTIVE and FAILING poll (a failing source is tried again, with backoff, and the relay
# becomes ACTIVE again when it answers); PAUSED waits for a person.
RELAY_MACHINE = StateMachine(
    "relay",
    RelayState,
    {
        RelayState.ACTIVE: {RelayState.PAUSED, RelayState.FAILING},
        RelayState.FAILING: {RelayState.ACTIVE, RelayState.PAUSED},
        RelayState.PAUSED: {RelayState.ACTIVE},
    },
    runnable=(RelayState.ACTIVE, RelayState.FAILING),
)


class SourceKind(models.TextChoices):
    RSS = "rss", _("Website feed (RSS or Atom)")
    BLUESKY = "bluesky", _("Bluesky account")
    MASTODON = "mastodon", _("Mastodon account")


class Reposts(models.TextChoices):
    SKIP = "skip", _("Skip them")
    LINK = "link", _("Relay them as a link")


class WarningRule(models.TextChoices):
    SOURCE = "source", _("Keep the source's content warning")
    ALWAYS = "always", _("Always put this content warning")
    NONE = "none", _("No content warning")


class Approval(models.TextChoices):
    DIRECT = "direct", _("Publish directly")
    REVIEW = "review", _("Put each item in the review queue")


class Relay(Job):
    machine = RELAY_MACHINE
    state = RELAY_MACHINE.field()

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="relays")
    name = models.CharField(_("name"), max_length=200)
    source_kind = models.CharField(_("source"), max_length=10, choices=SourceKind.choices)
    source = models.CharField(_("address"), max_length=500)  # as typed: a URL or a handle
    # What the source resolved to and where the next poll starts: a feed's validators (etag,
    # last_modified); a Bluesky DID, PDS, revision and newest record key; a Mastodon server,
    # account id and newest status id.
    source_state = models.JSONField(default=dict, blank=True)

    # rules
    include_tags = models.CharField(_("only with these hashtags"), max_length=500, blank=True)
    exclude_tags = models.CharField(_("never with these hashtags"), max_length=500, blank=True)
    include_words = models.CharField(_("only with these words"), max_length=500, blank=True)
    exclude_words = models.CharField(_("never with these words"), max_length=500, blank=True)
    skip_replies = models.BooleanField(_("skip replies"), default=True)
    reposts = models.CharField(
        _("reposts and boosts"), max_length=10, choices=Reposts.choices, default=Reposts.SKIP
    )
    lang = models.CharField(_("language"), max_length=10, blank=True)  # "": the source's
    warning_rule = models.CharField(
        _("content warning"), max_length=10, choices=WarningRule.choices, default=WarningRule.SOURCE
    )
    warning_text = models.CharField(_("content warning text"), max_length=200, blank=True)
    relay_images = models.BooleanField(_("relay images"), default=True)
    link_cards = models.BooleanField(_("link cards"), default=True)

    # pacing
    max_per_hour = models.PositiveSmallIntegerField(_("at most per hour and target"), default=4)
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    max_age_hours = models.PositiveIntegerField(_("skip items older than (hours)"), default=24)
    interval_minutes = models.PositiveIntegerField(_("poll every (minutes)"), default=10)
    backfill = models.PositiveSmallIntegerField(_("items to relay at creation"), default=0)
    approval = models.CharField(
        _("approval"), max_length=10, choices=Approval.choices, default=Approval.DIRECT
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    primed_at = models.DateTimeField(null=True, blank=True)  # the first poll took its baseline
    moved_at = models.DateTimeField(null=True, blank=True)  # the source changed: next, a baseline
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    error_since = models.DateTimeField(null=True, blank=True)  # the source fails since then
    error_count = models.PositiveIntegerField(default=0)  # failed polls in a row
    source_error = models.TextField(blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)  # the admins were told it fails

    class Meta(Job.Meta):
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class RelayTarget(models.Model):
    """A connected account a relay publishes to, with its own template ("" = the default)."""

    relay = models.ForeignKey(Relay, on_delete=models.CASCADE, related_name="targets")
    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.CASCADE, related_name="relay_targets"
    )
    template = models.TextField(_("template"), blank=True)

    class Meta:
        ordering = ["account__network", "account__handle"]
        constraints = [
            models.UniqueConstraint(fields=["relay", "account"], name="one_target_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.relay} → {self.account}"


class Outcome(models.TextChoices):
    WAITING = "waiting", _("Waiting (pacing or quiet hours)")
    RELAYED = "relayed", _("Relayed")
    REVIEW = "review", _("In the review queue")
    SKIPPED = "skipped", _("Skipped")


class RelayItem(models.Model):
    """An item the relay read once: it is never read as new again (`relay`, `key`)."""

    relay = models.ForeignKey(Relay, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=400)
    uri = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=1000, blank=True)
    title = models.CharField(max_length=300, blank=True)
    excerpt = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=30, blank=True)  # why skipped: see services.REASONS
    backfill = models.BooleanField(default=False)  # chosen at creation: exempt from the age rule
    # What publishing it needs (text, link, images, card…), kept while it waits.
    data = models.JSONField(default=dict, blank=True)
    post = models.ForeignKey(
        "publishing.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    relayed_at = models.DateTimeField(null=True, blank=True)
    alt_from_title = models.BooleanField(default=False)  # an image had no alt: the title stood in
    images_dropped = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["relay", "key"], name="one_item_per_key"),
        ]
        indexes = [
            models.Index(fields=["relay", "outcome", "seen_at"], name="relayitem_outcome"),
            models.Index(fields=["relayed_at"], name="relayitem_relayed"),
        ]

    def __str__(self) -> str:
        return self.title or self.excerpt[:60] or self.key


class RelaySwitch(models.Model):
    """The organisation's kill switch: while `paused`, none of its relays reads or publishes."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="relay_switch", primary_key=True
    )
    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    def __str__(self) -> str:
        return f"{self.organisation}: {'paused' if self.paused else 'on'}"
