"""A job kind for the engine's own tests: a chore of `units` steps, done one unit per step.

Its table exists only in the test database (conftest.py creates it); `mode` makes a step
misbehave the way real handlers can: raise, block (a long step), or see a person pause the job
while it runs.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import F

from envol.jobs.kinds import JobKind, Outcome, Step, again, later, to
from envol.jobs.machine import StateMachine
from envol.jobs.models import Job
from envol.jobs.transitions import move


class ChoreState(models.TextChoices):
    TODO = "todo", "To do"
    WORKING = "working", "Working"
    PAUSED = "paused", "Paused"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


CHORE_MACHINE = StateMachine(
    "chore",
    ChoreState,
    {
        ChoreState.TODO: {ChoreState.WORKING, ChoreState.PAUSED, ChoreState.CANCELLED},
        ChoreState.WORKING: {
            ChoreState.DONE,
            ChoreState.PAUSED,
            ChoreState.FAILED,
            ChoreState.CANCELLED,
        },
        ChoreState.PAUSED: {ChoreState.TODO, ChoreState.CANCELLED},
        ChoreState.FAILED: {ChoreState.TODO},
        ChoreState.DONE: set(),
        ChoreState.CANCELLED: set(),
    },
    runnable=(ChoreState.TODO, ChoreState.WORKING),
    failed=ChoreState.FAILED,
)


class Chore(Job):
    machine = CHORE_MACHINE
    state = CHORE_MACHINE.field()
    account = models.IntegerField(default=1)
    units = models.PositiveIntegerField(default=1)
    done_units = models.PositiveIntegerField(default=0)
    mode = models.CharField(max_length=20, blank=True)
    finished_rank = models.PositiveIntegerField(null=True)

    class Meta(Job.Meta):
        app_label = "jobs"


RELEASE: dict[int, threading.Event] = {}  # mode "block": the step waits for its event
STARTED: dict[int, threading.Event] = {}
_ranks = itertools.count(1)
_rank_lock = threading.Lock()


def begin(chore: Chore, step: Step) -> Outcome:
    return to(ChoreState.WORKING)


def work(chore: Chore, step: Step) -> Outcome:
    if chore.mode == "fail":
        raise RuntimeError("the network is down")
    if chore.mode == "block":
        STARTED.setdefault(chore.pk, threading.Event()).set()
        RELEASE.setdefault(chore.pk, threading.Event()).wait(timeout=60)
    if chore.mode == "paused-meanwhile":
        # A person presses pause while this step runs (their own copy of the row).
        move(Chore.objects.get(pk=chore.pk), ChoreState.PAUSED, now=step.now)
        return to(ChoreState.DONE)
    if chore.mode == "wait-an-hour" and not chore.done_units:
        Chore.objects.filter(pk=chore.pk).update(done_units=F("done_units") + 1)
        return later(step.now + timedelta(hours=1))
    Chore.objects.filter(pk=chore.pk).update(done_units=F("done_units") + 1)
    if chore.done_units + 1 >= chore.units:
        return to(ChoreState.DONE)
    return again()


def rank_finish(chore: Chore, previous: str, actor: Any, detail: Mapping[str, Any]) -> None:
    if chore.state == ChoreState.DONE:
        with _rank_lock:
            rank = next(_ranks)
        Chore.objects.filter(pk=chore.pk).update(finished_rank=rank)


def chores(fairness: str = "account", max_errors: int = 3) -> JobKind[Chore]:
    return JobKind(
        model=Chore,
        handlers={ChoreState.TODO: begin, ChoreState.WORKING: work},
        fairness=fairness,
        max_errors=max_errors,
        on_transition=rank_finish,
    )
