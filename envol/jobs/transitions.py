"""How a job's state changes in the database: always from the state it was read in, so that of a
person's pause and a step's own move, whichever lands second loses and learns it.

The same columns follow every move: `due_at` (set when the new state is runnable, cleared
otherwise), `state_changed_at`, `finished_at` (stamped in the machine's finished states, cleared
when work resumes). `on_transition` of the job's kind runs after a move that won.
`change_state` is a person's move (pause, resume, cancel…), refused in the app's own words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from envol.jobs.kinds import kind_of
from envol.jobs.models import Job


def state_columns(job: Job, wanted: str, now: datetime, at: datetime | None) -> dict[str, Any]:
    """The engine's columns after a move to `wanted` (equal to the current state: a reschedule)."""
    machine = job.machine
    columns: dict[str, Any] = {
        "state": wanted,
        "due_at": (at or now) if machine.is_runnable(wanted) else None,
    }
    if wanted != job.state:
        columns["state_changed_at"] = now
        if wanted in machine.finished:
            columns["finished_at"] = now
        elif machine.is_runnable(wanted) and not machine.is_runnable(job.state):
            columns["finished_at"] = None  # resumed
            columns["consecutive_errors"] = 0
    return columns


def move(
    job: Job,
    wanted: str,
    *,
    actor: Any = None,
    at: datetime | None = None,
    now: datetime | None = None,
    fields: Mapping[str, Any] | None = None,
    **detail: Any,
) -> bool:
    """Move `job` to `wanted` if it is still in the state it was read in: False (and `job`
    reloaded) when it moved meanwhile. Raises `IllegalTransition` for an undeclared move.
    `fields` are other columns written in the same UPDATE; `detail` goes to `on_transition`."""
    job.machine.check(job.state, wanted)
    moment = now or timezone.now()
    columns = {**state_columns(job, wanted, moment, at), **(fields or {})}
    previous = job.state
    rows: Any = type(job)._default_manager  # the concrete model's: `state` is declared there
    changed = rows.filter(pk=job.pk, state=previous).update(**columns)
    if not changed:
        job.refresh_from_db()
        return False
    for name, value in columns.items():
        setattr(job, name, value)
    if previous != wanted:
        announce(job, previous, actor, detail)
    return True


def change_state(
    job: Job,
    wanted: str,
    *,
    actor: Any = None,
    error_class: Callable[[str], Exception],
    refused: str | Promise,
    busy: str | Promise,
    attempts: int = 3,
) -> None:
    """A person's move of `job` to `wanted`, retried while a step moves the job between our read
    and our update. Raises `error_class(refused % {"state": label})` when the job's state cannot
    go that way, `error_class(busy)` when it kept moving; both messages translated by the app
    (lazy strings, translated here, in the language of the request)."""
    for _attempt in range(attempts):
        if not job.can_move_to(wanted):
            raise error_class(str(refused) % {"state": job.machine.label(job.state)})
        if move(job, wanted, actor=actor):
            return
    raise error_class(str(busy))


def announce(job: Job, previous: str, actor: Any, detail: Mapping[str, Any]) -> None:
    try:
        hook = kind_of(job).on_transition
    except LookupError:  # a model not registered (yet): nothing listens
        return
    if hook is not None:
        hook(job, previous, actor, detail)
