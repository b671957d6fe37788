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
    PUBLISHING = "publishing", _("Publishing")
    DONE = "done", _("Published")
    PARTIAL = "partial", _("Partly published")
    FAILED = "failed", _("Failed")


# Adding a state (the desk's in_review, approved, scheduled…) is a choice above and a line here;
# a runnable one also needs its handler in publishing/jobs.py.
POST_MACHINE = StateMachine(
    "post",
    PostState,
    {
        PostState.DRAFT: {PostState.PUBLISHING},
        PostState.PUBLISHING: {PostState.DONE, PostState.PARTIAL, PostState.FAILED},
        PostState.DONE: set(),
        PostState.PARTIAL: {PostState.PUBLISHING},  # retry what did not go out
        PostState.FAILED: {PostState.PUBLISHING},
    },
    runnable=(PostState.PUBLISHING,),
    failed=PostState.FAILED,
    finished=(PostState.DONE, PostState.PARTIAL, PostState.FAILED),
)


class Post(Job):
    """A post and the job that publishes it on every target account (`publishing/jobs.py`)."""

    State = PostState
    machine = POST_MACHINE

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    text = models.TextField(_("text"))
    content_warning = models.CharField(_("content warning"), max_length=500, blank=True)
    lang = models.CharField(_("language"), max_length=10, default="fr")
    link_url = models.URLField(_("link"), max_length=1000, blank=True)
    state = POST_MACHINE.field()
    # Set by the app that asked for the post (e.g. "leaving:announcement:fr:bluesky"): creating a
    # post with the same origin again returns the first one, so a double click posts once.
    origin = models.CharField(max_length=200, blank=True)

    class Meta(Job.Meta):
        ordering = ["-created_at"]
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
