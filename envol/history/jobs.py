"""The history app's jobs on the engine: the archive site's build, and the migration of the
posts to Bluesky (jobs of one account take turns: a follow migration and a history migration of
the same account share its budget and the workers)."""

from __future__ import annotations

from envol.history import moving, services
from envol.history.models import MOVE_ACTIVE, ArchiveSite, HistoryMigration
from envol.jobs.kinds import JobKind, register

SITE_BUILD = register(
    JobKind(
        model=ArchiveSite,
        handlers={
            ArchiveSite.State.QUEUED: services.site_queued,
            ArchiveSite.State.BUILDING: services.site_building,
        },
        fairness="organisation_id",
        max_errors=3,
        select_related=("organisation", "archive_import"),
    )
)

HISTORY_MIGRATION = register(
    JobKind(
        model=HistoryMigration,
        handlers=dict.fromkeys(MOVE_ACTIVE, moving.move_step),
        fairness="account_id",
        on_transition=moving.on_transition,
        select_related=("organisation", "account"),
        batched=True,
    )
)
