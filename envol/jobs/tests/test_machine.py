"""Declared machines refuse undeclared moves, and kinds the runner could not run."""

from __future__ import annotations

import pytest
from django.db import models

from envol.jobs.kinds import JobKind, again
from envol.jobs.machine import IllegalTransition, StateMachine
from envol.migration.models import JOB_MACHINE, ItemState, JobState, MigrationItem, MigrationJob

from .chores import CHORE_MACHINE, Chore, ChoreState, work


def test_undeclared_moves_are_refused_with_one_exception() -> None:
    job = MigrationJob(state=JobState.PENDING)
    for state in (JobState.RUNNING, JobState.WAITING, JobState.RUNNING, JobState.DONE):
        job.move_to(state)
    with pytest.raises(IllegalTransition) as refused:
        job.move_to(JobState.RUNNING)
    assert (refused.value.current, refused.value.wanted) == ("done", "running")
    with pytest.raises(IllegalTransition):
        MigrationJob(state=JobState.CANCELLED).move_to(JobState.PENDING)
    item = MigrationItem(state=ItemState.PENDING)
    item.move_to(ItemState.SENT)
    item.move_to(ItemState.DONE)
    with pytest.raises(IllegalTransition):
        item.move_to(ItemState.PENDING)
    with pytest.raises(IllegalTransition):
        MigrationItem(state=ItemState.PENDING).move_to(ItemState.DONE)  # never without sending


def test_the_machine_knows_which_states_run_wait_or_end() -> None:
    assert JOB_MACHINE.runnable == {"pending", "running", "waiting_rate_limit"}
    assert JOB_MACHINE.terminal == {"done", "cancelled"}
    assert JOB_MACHINE.waiting_for_a_person() == {"paused", "failed"}
    assert JOB_MACHINE.finished == {"done", "cancelled", "failed"}
    assert set(JOB_MACHINE.sources(JobState.PAUSED)) == JOB_MACHINE.runnable
    field = JOB_MACHINE.field()
    assert field.default == "pending" and field.max_length == len("waiting_rate_limit") + 2


class Colour(models.TextChoices):
    RED = "red", "Red"
    GREEN = "green", "Green"


def test_a_machine_must_declare_every_state_and_only_those() -> None:
    with pytest.raises(ValueError, match="missing"):
        StateMachine("light", Colour, {Colour.RED: {Colour.GREEN}})
    with pytest.raises(ValueError, match="unknown"):
        StateMachine("light", Colour, {Colour.RED: {"blue"}, Colour.GREEN: set()})
    with pytest.raises(ValueError, match="terminal"):
        StateMachine(
            "light", Colour, {Colour.RED: {Colour.GREEN}, Colour.GREEN: set()}, runnable=["green"]
        )


def test_a_kind_needs_one_handler_per_runnable_state() -> None:
    with pytest.raises(ValueError, match="one handler per runnable state"):
        JobKind(model=Chore, handlers={ChoreState.WORKING: work}).check()
    with pytest.raises(ValueError, match="one handler per runnable state"):
        JobKind(
            model=Chore,
            handlers={
                ChoreState.TODO: work,
                ChoreState.WORKING: work,
                ChoreState.PAUSED: lambda job, step: again(),
            },
        ).check()
    assert CHORE_MACHINE.is_runnable(ChoreState.TODO)
