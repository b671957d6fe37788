"""Archive imports as a job kind of the engine. `running` is one atomic step (the rows and "done"
commit together); its lease is renewed by the engine's heartbeat while it runs, so an import whose
worker died is taken over within a minute (at once when that worker was on this machine)."""

from __future__ import annotations

from envol.jobs.kinds import JobKind, register
from envol.portability import services
from envol.portability.models import ArchiveImport

ARCHIVE_IMPORT = register(
    JobKind(
        model=ArchiveImport,
        handlers={
            ArchiveImport.State.PENDING: services.begin_import,
            ArchiveImport.State.RUNNING: services.import_step,
        },
        fairness="organisation_id",
        atomic=(ArchiveImport.State.RUNNING,),
        max_errors=3,  # a bug or a database that keeps refusing: say so, do not retry for hours
        on_transition=services.on_transition,
        select_related=("organisation",),
    )
)
