"""A relay is a job kind of the engine: its due time is its next poll, `poll_step` polls;
relays take turns per organisation. The machine has no failed state: a relay whose step
raises is backed off by the runner and tried again, never given up."""

from __future__ import annotations

from envol.jobs.kinds import JobKind, register
from envol.relays import services
from envol.relays.models import Relay, RelayState

RELAYS = register(
    JobKind(
        model=Relay,
        handlers={RelayState.ACTIVE: services.poll_step, RelayState.FAILING: services.poll_step},
        fairness="organisation_id",
        on_transition=services.on_transition,
        select_related=("organisation",),
    )
)
