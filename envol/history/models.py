"""Post history: what an organisation keeps of its X posts once it leaves.

`ArchiveSite` is the static archive site envol builds and, when an admin publishes it, serves at
/<org-slug>/archive/. The build itself lives in files under the data directory (see
`services.site_folder`); this row says which import, look and language it was built from, and
where the build stands: idle → queued → building → built | failed, and back to queued.
`HistoryMigration` posts the archive's posts to Bluesky with their original dates, one
`HistoryPost` per record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.history.contrast import DEFAULT_COLOUR
from envol.jobs.machine import StateMachine, batch_items, batch_run
from envol.jobs.models import BatchTally, Job
from envol.orgs.models import ConnectedAccount, Organisation
from envol.portability.models import ArchiveImport


class SiteState(models.TextChoices):
    IDLE = "idle", _("Never built")
    QUEUED = "queued", _("Waiting for a worker")
    BUILDING = "building", _("Building")
    BUILT = "built", _("Built")
    FAILED = "failed", _("Failed")


# A build is atomic (a new folder replaces the old one at the end): a build a killed worker left
# `building` is simply run again from the start by the engine, which takes the dead worker's
# lease over — the whole recovery.
SITE_MACHINE = StateMachine(
    "archive site",
    SiteState,
    {
        SiteState.IDLE: {SiteState.QUEUED},
        SiteState.QUEUED: {SiteState.BUILDING, SiteState.FAILED},
        SiteState.BUILDING: {SiteState.BUILT, SiteState.FAILED},
        SiteState.BUILT: {SiteState.QUEUED},
        SiteState.FAILED: {SiteState.QUEUED},
    },
    runnable=(SiteState.QUEUED, SiteState.BUILDING),
    failed=SiteState.FAILED,
    finished=(SiteState.BUILT, SiteState.FAILED),
)


class ArchiveSite(Job):
    """An organisation's archive site, and its build as a job of the engine (`history/jobs.py`):
    idle → queued → building → built | failed, and back to queued for a new build."""

    State = SiteState
    machine = SITE_MACHINE

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="archive_site"
    )
    archive_import = models.ForeignKey(
        ArchiveImport,
        verbose_name=_("archive import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lang = models.CharField(_("language of the site"), max_length=2, default="fr")
    colour = models.CharField(_("colour"), max_length=7, default=DEFAULT_COLOUR)
    state = SITE_MACHINE.field()
    # relative to DATA_DIR; the folder served when published (empty until a build succeeds)
    build_folder = models.CharField(max_length=300, blank=True)
    post_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(Job.Meta):
        pass

    def __str__(self) -> str:
        return f"archive site of {self.organisation} ({self.state})"

    @property
    def is_busy(self) -> bool:
        return self.state in (SiteState.QUEUED, SiteState.BUILDING)


# ---------------------------------------------------------------- the migration to Bluesky


class MoveState(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Posting")
    WAITING = "waiting_rate_limit", _("Waiting for the network's limit")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


MOVE_ACTIVE = (MoveState.PENDING, MoveState.RUNNING, MoveState.WAITING)
MOVE_MACHINE = batch_run("history migration", MoveState)


class PostState(models.TextChoices):
    PENDING = "pending", _("To post")
    SENT = "sent", _("Sent, to confirm")
    DONE = "done", _("Posted")
    ALREADY = "already", _("Already posted")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


OPEN_POST_STATES = (PostState.PENDING, PostState.SENT)
POST_MACHINE = batch_items("history post", PostState)


class HistoryMigration(Job, BatchTally):
    """Post an import's X posts to one Bluesky account with their original dates, one batch
    (one `applyWrites`, up to 200 records) per step of the job engine. Every record, its key and
    its CID are computed when the job is created (`moving.create_job`): a step only sends what
    is stored, so a killed worker's batch is found again by its keys, never written twice. The
    rate budget is the account's, shared with its follow migration (`jobs.budgets`). Its tally
    (`BatchTally`) counts Bluesky records (a long post is several), `posts` the X posts."""

    machine = MOVE_MACHINE

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="history_migrations"
    )
    archive_import = models.ForeignKey(
        ArchiveImport, on_delete=models.CASCADE, related_name="history_migrations"
    )
    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.CASCADE, related_name="history_migrations"
    )
    options = models.JSONField(default=dict, blank=True)
    state = MOVE_MACHINE.field()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    posts = models.PositiveIntegerField(default=0)  # X posts selected

    class Meta(Job.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"history migration {self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in MOVE_ACTIVE


class HistoryPost(models.Model):
    """One Bluesky record of a history migration: an X post, or one part of a long one.
    `record` is the record exactly as sent, `record_key` its TID and `cid` the CID the PDS gives
    it — all three fixed when the job is created, so a reply in the same batch names its parent
    before the parent exists, and a resent batch is the same batch."""

    job = models.ForeignKey(HistoryMigration, on_delete=models.CASCADE, related_name="items")
    x_id = models.CharField(max_length=64)
    part = models.PositiveSmallIntegerField(default=0)
    created_remote = models.DateTimeField()
    record_key = models.CharField(max_length=20)
    cid = models.CharField(max_length=100)
    record = models.JSONField()
    # files to upload before the record ([{"path": under MEDIA_ROOT, "mime": …}]): their blob
    # references are in `record` already (content-addressed)
    uploads = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=PostState.choices, default=PostState.PENDING)
    remote_uri = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=30, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "x_id", "part"], name="one_record_per_part"),
            models.UniqueConstraint(fields=["job", "record_key"], name="one_record_per_key"),
        ]
        indexes = [models.Index(fields=["job", "state"])]

    def __str__(self) -> str:
        return f"{self.x_id}/{self.part} ({self.state})"

    def move_to(self, wanted: str) -> None:
        POST_MACHINE.check(self.state, wanted)
        self.state = wanted
