"""The follow migration as a job kind of the engine: every active state runs `follow_step`;
jobs take turns per connected account, so one account's large migration never holds up another's."""

from __future__ import annotations

from envol.jobs.kinds import JobKind, register
from envol.migration import services
from envol.migration.models import ACTIVE_STATES, MigrationJob

FOLLOW_MIGRATION = register(
    JobKind(
        model=MigrationJob,
        handlers=dict.fromkeys(ACTIVE_STATES, services.follow_step),
        fairness="account_id",
        on_transition=services.on_transition,
        select_related=("organisation", "account"),
        batched=True,
    )
)
