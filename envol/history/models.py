"""Post history: what an organisation keeps of its X posts once it leaves.

`ArchiveSite` is the static archive site envol builds and, when an admin publishes it, serves at
/<org-slug>/archive/. The build itself lives in files under the data directory (see
`services.site_folder`); this row says which import, look and language it was built from, and
where the build stands: idle → queued → building → built | failed, and back to queued.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envol.history.contrast import DEFAULT_COLOUR
from envol.orgs.models import Organisation
from envol.portability.models import ArchiveImport


class ArchiveSite(models.Model):
    class State(models.TextChoices):
        IDLE = "idle", _("Never built")
        QUEUED = "queued", _("Waiting for a worker")
        BUILDING = "building", _("Building")
        BUILT = "built", _("Built")
        FAILED = "failed", _("Failed")

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
    state = models.CharField(max_length=10, choices=State.choices, default=State.IDLE)
    # relative to DATA_DIR; the folder served when published (empty until a build succeeds)
    build_folder = models.CharField(max_length=300, blank=True)
    post_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"archive site of {self.organisation} ({self.state})"

    # --- state transitions: the only way `state` changes -----------------------------------

    def queue(self) -> None:
        """Any state → queued: a build is atomic (the new folder replaces the old at the end),
        so a build interrupted by a killed worker is simply done again."""
        self.state, self.error = self.State.QUEUED, ""
        self.save(update_fields=["state", "error", "updated_at"])

    def start(self) -> None:
        self.state = self.State.BUILDING
        self.save(update_fields=["state", "updated_at"])

    def finish(self, build_folder: str, post_count: int) -> None:
        if self.state != self.State.BUILDING:
            raise ValueError(f"site {self.pk} is {self.state}, not building")
        self.state = self.State.BUILT
        self.build_folder, self.post_count = build_folder, post_count
        self.built_at = timezone.now()
        self.save(update_fields=["state", "build_folder", "post_count", "built_at", "updated_at"])

    def fail(self, message: str) -> None:
        self.state, self.error = self.State.FAILED, message
        self.save(update_fields=["state", "error", "updated_at"])

    @property
    def is_busy(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.BUILDING)
