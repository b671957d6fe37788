"""What an organisation brings from X: archive imports, its source account, relations and posts.

Rows are keyed by the remote ids so that importing the same archive twice changes nothing and a
newer archive of the same account only adds what is new.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.jobs.machine import single_run
from envol.jobs.models import Job
from envol.orgs.models import Organisation


class SourceAccount(models.Model):
    """The organisation's own account on the network it is leaving (from the archive)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="source_accounts"
    )
    network = models.CharField(max_length=20, default="x")
    remote_id = models.CharField(max_length=64)
    username = models.CharField(max_length=100)
    display_name = models.CharField(max_length=200, blank=True)
    created_remote = models.DateTimeField(null=True, blank=True)
    bio = models.TextField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    location = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "network", "remote_id"],
                name="one_source_account_per_remote_id",
            )
        ]

    def __str__(self) -> str:
        return f"@{self.username} ({self.network})"


class ImportState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


IMPORT_MACHINE = single_run("archive import", ImportState)


class ArchiveImport(Job):
    """One archive and the job that reads it: pending → running → done | failed. `running` is
    one step of the job engine: every row and "done" commit together, or nothing does."""

    State = ImportState
    machine = IMPORT_MACHINE

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="archive_imports"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    source_network = models.CharField(max_length=20, default="x")
    source_account = models.ForeignKey(
        SourceAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    state = IMPORT_MACHINE.field()
    file_name = models.CharField(max_length=255, blank=True)
    # An upload (relative to the data dir; deleted once read unless kept), then the kept copy.
    stored_path = models.CharField(max_length=500, blank=True)
    # A file the user pointed at (`envol archive import PATH`): read, never deleted.
    source_file = models.CharField(max_length=1000, blank=True)
    keep_archive = models.BooleanField(default=False)
    keep_media = models.BooleanField(default=False)
    phase = models.CharField(max_length=50, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    added = models.JSONField(default=dict, blank=True)
    # [{"code", "file", "detail"}]: rendered in the reader's language by `archives.errors`
    warnings = models.JSONField(default=list, blank=True)
    # [{"id", "username", "count"}], the accounts the organisation's own posts mention most
    top_mentions = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    error_fr = models.TextField(blank=True)
    first_post_at = models.DateTimeField(null=True, blank=True)
    last_post_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    def error_message(self, language: str) -> str:
        return self.error_fr if language.startswith("fr") and self.error_fr else self.error


class Relation(models.Model):
    """An account the source account follows, is followed by, blocks or mutes (X ids only)."""

    class Kind(models.TextChoices):
        FOLLOWING = "following", _("Following")
        FOLLOWER = "follower", _("Follower")
        BLOCK = "block", _("Blocked")
        MUTE = "mute", _("Muted")

    # no index of its own: the unique constraint below starts with it
    source_account = models.ForeignKey(
        SourceAccount, on_delete=models.CASCADE, related_name="relations", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    remote_id = models.CharField(max_length=64)
    first_import = models.ForeignKey(
        ArchiveImport, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_account", "kind", "remote_id"], name="one_relation_per_remote_id"
            )
        ]
        # Who names this X id: incremental matching (crosswalk/incremental.py) starts here
        # when someone joins, instead of re-matching every archive.
        indexes = [models.Index(fields=["remote_id"], name="relation_by_x_id")]

    def __str__(self) -> str:
        return f"{self.kind} {self.remote_id}"


class ArchivedPost(models.Model):
    """A post from the archive, normalised (entities decoded, links expanded)."""

    # no index of its own: the unique constraint below starts with it
    source_account = models.ForeignKey(
        SourceAccount, on_delete=models.CASCADE, related_name="posts", db_index=False
    )
    remote_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    text = models.TextField()
    lang = models.CharField(max_length=10, blank=True)
    is_retweet = models.BooleanField(default=False)
    reply_to_post_id = models.CharField(max_length=64, blank=True)
    reply_to_user_id = models.CharField(max_length=64, blank=True)
    reply_to_username = models.CharField(max_length=100, blank=True)
    quoted_post_url = models.URLField(max_length=500, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    urls = models.JSONField(default=list, blank=True)
    is_note = models.BooleanField(default=False)
    first_import = models.ForeignKey(
        ArchiveImport, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_account", "remote_id"], name="one_post_per_remote_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.remote_id}: {self.text[:40]}"


class ArchivedMedia(models.Model):
    """A media item attached to an archived post; the file is kept only when asked."""

    # no index of its own: the unique constraint below starts with it
    source_account = models.ForeignKey(
        SourceAccount, on_delete=models.CASCADE, related_name="media", db_index=False
    )
    post_remote_id = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20)
    file_name = models.CharField(max_length=255, blank=True)
    alt_text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    # relative to MEDIA_ROOT; empty unless the organisation chose to keep media files
    stored_path = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_account", "post_remote_id", "position"],
                name="one_media_per_position",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"
