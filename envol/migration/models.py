"""Follow-migration jobs and their items: all the state of a migration lives in these rows.

A job is a job of the engine (`envol.jobs`) with its declared state machine; each item (one
follow) has a machine of its own. The worker that advances a job
holds nothing in memory that a crash could lose: the record key of a Bluesky follow is written to
its item, and committed, before the write that uses it (see services.py).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.jobs.machine import batch_items, batch_run
from envol.jobs.models import BatchTally, Job
from envol.orgs.models import ConnectedAccount, Organisation
from envol.portability.models import ArchiveImport, Relation


class JobState(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Following")
    WAITING = "waiting_rate_limit", _("Waiting for the network's limit")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATES = (JobState.PENDING, JobState.RUNNING, JobState.WAITING)

JOB_MACHINE = batch_run("migration job", JobState)


class ItemState(models.TextChoices):
    PENDING = "pending", _("To follow")
    SENT = "sent", _("Sent, to confirm")
    DONE = "done", _("Followed")
    ALREADY = "already", _("Already followed")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


OPEN_ITEM_STATES = (ItemState.PENDING, ItemState.SENT)

ITEM_MACHINE = batch_items("migration item", ItemState)


class MigrationJob(Job, BatchTally):
    """Refollow the accepted matches of one archive import with one connected account, a few
    batches per step of the job engine (`migration/jobs.py`); the rate budget it draws on is the
    account's, shared with the account's other jobs (`jobs.budgets`). Its tally (`BatchTally`)
    counts follows; `calls`, the follow batches sent."""

    machine = JOB_MACHINE

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="migration_jobs"
    )
    archive_import = models.ForeignKey(
        ArchiveImport, on_delete=models.CASCADE, related_name="migration_jobs"
    )
    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.CASCADE, related_name="migration_jobs"
    )
    network = models.CharField(max_length=10)
    options = models.JSONField(default=dict, blank=True)
    state = JOB_MACHINE.field()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    existing_listed = models.BooleanField(default=False)  # own follows read once at start

    class Meta(Job.Meta):
        ordering = ["-created_at"]
        indexes = [*Job.Meta.indexes, models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"migration {self.pk} ({self.network}, {self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def resume_at(self) -> datetime | None:
        """When a job waiting for the network's limit goes on by itself."""
        return self.due_at if self.state == JobState.WAITING else None

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.CANCELLED)


class MigrationItem(models.Model):
    """One account to follow. `target` is what the selection names (a DID; a Mastodon address in
    lower case); `subject` what the network follows (the DID; the Mastodon account id, known
    once resolved)."""

    job = models.ForeignKey(MigrationJob, on_delete=models.CASCADE, related_name="items")
    relation = models.ForeignKey(
        Relation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    x_id = models.CharField(max_length=32, blank=True)
    target = models.CharField(max_length=300)
    handle = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=ItemState.choices, default=ItemState.PENDING)
    record_key = models.CharField(max_length=20, blank=True)  # Bluesky TID, set before the write
    remote_uri = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The job's call that sent it last (its reservation's key): two batches may be `sent` at
    # once, each reconciled on its own. 0: sent before batches were numbered.
    batch = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=30, blank=True)  # stable code: not_found, blocked…
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "target"], name="one_item_per_target")
        ]
        indexes = [models.Index(fields=["job", "state"])]

    def __str__(self) -> str:
        return f"{self.target} ({self.state})"

    def move_to(self, wanted: str) -> None:
        ITEM_MACHINE.check(self.state, wanted)
        self.state = wanted
