"""Metric snapshots as a job kind of the engine (see `snapshots.py`): accounts take turns, one
page of posts per step, each step's values and cursor in one transaction."""

from __future__ import annotations

from envol.insights import snapshots
from envol.insights.models import SnapshotJob
from envol.jobs.kinds import JobKind, register

SNAPSHOTS = register(
    JobKind(
        model=SnapshotJob,
        handlers={SnapshotJob.State.COLLECTING: snapshots.collect},
        fairness="account_id",
        atomic=(SnapshotJob.State.COLLECTING,),
        select_related=("account", "account__organisation"),
    )
)
