"""Compose once, publish everywhere: posts, their media, and one publication row per target part.

The `Publication` table is the *copies* table of the design: post → account → part → remote URI.
Each row gets its idempotency key before any remote call (Bluesky: the record key, a TID;
Mastodon: the `Idempotency-Key` header), so a crash between the call and the save is reconciled
with the network instead of publishing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.jobs.machine import StateMachine
from envol.jobs.models import Job
from envol.orgs.models import ConnectedAccount, Organisation


class PostState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    DONE = "done", _("Published")
    PARTIAL = "partial", _("Partly published")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


S = PostState
# The desk's workflow (docs/architecture.md, "The publishing desk"). Who may make a move (nobody
# approves their own post; approval required or not) is decided by `publishing.desk`, which is
# the only caller of these moves besides the runner.
# - draft → scheduled / publishing: when the organisation requires no approval, or an admin's
#   audited urgent publication;
# - in_review and approved are runnable only for their deadline: a post pending too long
#   expires (→ cancelled, `ENVOL_DESK_EXPIRY_DAYS`);
# - scheduled is due at its planned time: the runner moves it to publishing then, or back to
#   approved when it is too late (no silent late post, `ENVOL_DESK_LATE_MINUTES`);
# - an edit of an approved or scheduled post sends it back to review (or, without approval,
#   to draft).
POST_MACHINE = StateMachine(
    "post",
    PostState,
    {
        S.DRAFT: {S.IN_REVIEW, S.SCHEDULED, S.PUBLISHING, S.CANCELLED},
        S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.DRAFT, S.PUBLISHING, S.CANCELLED},
        S.APPROVED: {S.SCHEDULED, S.PUBLISHING, S.IN_REVIEW, S.DRAFT, S.CANCELLED},
        S.REJECTED: {S.DRAFT, S.IN_REVIEW, S.CANCELLED},
        S.SCHEDULED: {S.PUBLISHING, S.APPROVED, S.IN_REVIEW, S.DRAFT, S.CANCELLED},
        S.PUBLISHING: {S.DONE, S.PARTIAL, S.FAILED},
        S.DONE: set(),
        S.PARTIAL: {S.PUBLISHING},  # retry what did not go out
        S.FAILED: {S.PUBLISHING},
        S.CANCELLED: set(),
    },
    runnable=(S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.PUBLISHING),
    failed=S.FAILED,
    finished=(S.DONE, S.PARTIAL, S.FAILED, S.CANCELLED),
)
EDITABLE = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.REJECTED, S.SCHEDULED})
PUBLISHED = frozenset({S.DONE, S.PARTIAL})


class Note(models.TextChoices):
    """Why a post stands where it stands, when its state alone does not say it."""

    NONE = "", ""
    MISSED = "missed", _("Its planned time passed before it could be published: not published.")
    EXPIRED = "expired", _("Pending for too long: it expired.")
    URGENT = "urgent", _("Published urgently, without approval.")


class Post(Job):
    """A post and the job that publishes it on every target account (`publishing/jobs.py`)."""

    State = PostState
    machine = POST_MACHINE

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    text = models.TextField(_("text"), blank=True)
    content_warning = models.CharField(_("content warning"), max_length=500, blank=True)
    lang = models.CharField(_("language"), max_length=10, default="fr")
    link_url = models.URLField(_("link"), max_length=1000, blank=True)
    state = POST_MACHINE.field()
    # Set by the app that asked for the post (e.g. "leaving:announcement:fr:bluesky"): creating a
    # post with the same origin again returns the first one, so a double click posts once.
    origin = models.CharField(max_length=200, blank=True)

    # --- the desk (publishing/desk.py) ---
    # The accounts it goes to (its publication rows are made from them when it is scheduled).
    targets = models.ManyToManyField(ConnectedAccount, blank=True, related_name="desk_posts")
    # network → its text written by hand; the other networks keep the text above.
    overrides = models.JSONField(default=dict, blank=True)
    numbering = models.BooleanField(default=True)
    use_short_links = models.BooleanField(default=False)
    # The link's card as fetched through the guarded transport: url, title, description, image.
    link_card = models.JSONField(default=dict, blank=True)
    planned_at = models.DateTimeField(_("planned time"), null=True, blank=True)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=20, choices=Note.choices, blank=True, default="")
    urgent_reason = models.TextField(blank=True)
    urgent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    urgent_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    urgent_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        ordering = ["-created_at"]
        indexes = [
            *Job.Meta.indexes,
            models.Index(fields=["organisation", "planned_at"], name="post_by_planned_time"),
            models.Index(fields=["organisation", "state"], name="post_by_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "origin"],
                condition=~models.Q(origin=""),
                name="one_post_per_origin",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class PostMedia(models.Model):
    """An image attached to a post. Alt text is mandatory: public bodies must be accessible."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    position = models.PositiveSmallIntegerField()
    path = models.CharField(max_length=500)
    mime_type = models.CharField(max_length=100)
    alt_text = models.TextField(_("alternative text"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="one_media_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.path} ({self.alt_text[:30]})"


class Publication(models.Model):
    """One part of a post on one account: pending → sent → done | failed."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        DONE = "done", _("Published")
        FAILED = "failed", _("Failed")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="publications")
    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.PROTECT, related_name="publications"
    )
    network = models.CharField(max_length=20)
    part_index = models.PositiveSmallIntegerField(default=0)
    part_count = models.PositiveSmallIntegerField(default=1)
    text = models.TextField()
    idempotency_key = models.CharField(max_length=100)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    remote_id = models.CharField(max_length=255, blank=True)
    remote_uri = models.CharField(max_length=500, blank=True)
    remote_cid = models.CharField(max_length=255, blank=True)
    public_url = models.URLField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["post", "account", "part_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "account", "part_index"], name="one_publication_per_part"
            ),
            models.UniqueConstraint(
                fields=["account", "idempotency_key"], name="unique_idempotency_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} part {self.part_index + 1}/{self.part_count} ({self.state})"


class PostComment(models.Model):
    """A comment on a post, in threads (`reply_to`); a rejection carries its reason as one."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    reply_to = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(_("comment"))
    rejection = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class CalendarFeed(models.Model):
    """A member's secret iCalendar address of an organisation's schedule. Only the token's
    SHA-256 is stored: the address is shown once; a new one revokes the old."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_feed_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"calendar of {self.user} @ {self.organisation}"
