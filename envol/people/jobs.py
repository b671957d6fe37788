"""Personal spaces' job kinds: the follow-up of a person's archive import (their matches and
consented links once it is in) and their weekly email, one per person (`digest.py`)."""

from __future__ import annotations

from envol.jobs.kinds import JobKind, register
from envol.people import digest, services
from envol.people.models import ArchiveFollowUp, WeeklyDigest

ARCHIVE_FOLLOW_UP = register(
    JobKind(
        model=ArchiveFollowUp,
        handlers={ArchiveFollowUp.State.READY: services.run_follow_up},
        fairness="organisation_id",
        # Not atomic: its parts (matching, the consented link, the incremental matching) each
        # commit on their own and are idempotent, so a step cut short is simply run again; one
        # transaction over all of them held locks on other people's imports long enough for
        # workers to deadlock one another (bench/national.py on PostgreSQL, 4 workers).
        select_related=("organisation",),
    )
)

WEEKLY_DIGESTS = register(
    JobKind(
        model=WeeklyDigest,
        handlers={WeeklyDigest.State.ACTIVE: digest.send_weekly},
        fairness="space_id",
        select_related=("space", "space__organisation"),
    )
)
