"""A job kind: a job model, a handler per runnable state, and how the runner treats it.

A handler makes ONE bounded step of one job and says what comes next with an `Outcome`:
`again()` (more work: due at once), `later(when)` (same state, due then), `to(state)` (a declared
transition), `retry(error)` (a failed attempt: backoff, then the machine's failed state after
`max_errors` in a row). It never sleeps and never loops until the end: between two steps a
person may pause or cancel, another job of the same account gets its turn, and a killed worker
loses at most the step in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from envol.jobs.models import Job

J = TypeVar("J", bound=Job)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Outcome:
    """What a step leads to. `state` None: stay; `due` None: at once (when the state is
    runnable); `error`: the step failed (counted, backed off); `fields`: other columns written
    in the same conditional UPDATE (so they land only if the move does); `detail`: for
    `on_transition`."""

    state: str | None = None
    due: datetime | None = None
    error: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)


def again() -> Outcome:
    """More to do: due again at once (after the other due jobs of this round)."""
    return Outcome()


def later(when: datetime) -> Outcome:
    """Nothing to do before `when` (a rate-limit window, a scheduled time)."""
    return Outcome(due=when)


def to(
    state: str,
    *,
    at: datetime | None = None,
    fields: Mapping[str, Any] | None = None,
    **detail: Any,
) -> Outcome:
    """Move to `state` (a declared transition); due at `at` (default at once) if runnable."""
    return Outcome(state=state, due=at, fields=fields or {}, detail=detail)


def retry(error: str) -> Outcome:
    """This attempt failed: try again after a backoff; `max_errors` in a row fail the job."""
    return Outcome(error=error or "error")


@dataclass
class Step:
    """What a handler gets besides its job: the clock (never read the wall clock in a
    handler), the moment the step began, and `context`, a dict the caller of the runner keeps
    across the steps it runs for this job (a network adapter to reuse, a progress callback)."""

    clock: Clock
    now: datetime
    owner: str
    context: dict[str, Any]


Handler = Callable[[J, Step], Outcome]
TransitionHook = Callable[[J, str, Any, Mapping[str, Any]], None]


def default_backoff(errors: int) -> timedelta:
    """5 s, 10 s, 20 s… up to 10 minutes."""
    return min(timedelta(seconds=5 * 2 ** max(errors - 1, 0)), timedelta(minutes=10))


@dataclass(frozen=True)
class JobKind(Generic[J]):
    """How the runner advances one job model.

    - `handlers`: runnable state → handler (exactly the machine's runnable states);
    - `fairness`: the field the runner rotates on (e.g. "account_id"), so that one account's
      50,000-follow migration takes its turn like everyone else's, not before them;
    - `atomic`: states whose handler runs in ONE transaction with the storing of its outcome
      (an archive import: its rows and "done" commit together, or not at all);
    - `on_transition(job, previous_state, actor, detail)`: called after every move that won
      (audit, a checklist tick), by the runner and by `transitions.move` alike;
    - `select_related`: loaded with the job for the handler;
    - `batched`: the job sends items in batches from the account's rate budget, over many
      steps (the follow and history migrations); such jobs of one account keep even turns
      (`runner.others_due`).
    """

    model: type[J]
    handlers: Mapping[str, Handler[J]]
    fairness: str = "pk"
    atomic: Collection[str] = ()
    max_errors: int = 8
    backoff: Callable[[int], timedelta] = default_backoff
    on_transition: TransitionHook[J] | None = None
    select_related: tuple[str, ...] = ()
    batched: bool = False

    @property
    def label(self) -> str:
        return str(self.model._meta.label_lower)

    def check(self) -> None:
        """Refuse a kind the runner could not run: a handler missing or for the wrong state,
        a model without the runner's index."""
        machine = self.model.machine
        if set(self.handlers) != set(machine.runnable):
            raise ValueError(
                f"{self.label}: handlers for {sorted(self.handlers)}, but the runnable states "
                f"are {sorted(machine.runnable)}: one handler per runnable state."
            )
        if not set(self.atomic) <= set(machine.runnable):
            raise ValueError(f"{self.label}: atomic states must be runnable.")
        names = {index.name for index in self.model._meta.indexes}
        wanted = f"{self.model._meta.app_label}_{self.model._meta.model_name}_due"
        if wanted not in names:
            raise ValueError(
                f"{self.label} lacks the runner's index {wanted}: declare `class Meta(Job.Meta)` "
                "(or add `*Job.Meta.indexes` to its indexes)."
            )


_registry: dict[str, JobKind[Any]] = {}


def register(kind: JobKind[J]) -> JobKind[J]:
    """Make the runner advance this kind (call it in your app's `jobs.py`: the engine imports
    every installed app's `jobs` module when Django starts)."""
    kind.check()
    _registry[kind.label] = kind
    return kind


def registered() -> list[JobKind[Any]]:
    return list(_registry.values())


def kind_of(job: Job | type[Job]) -> JobKind[Any]:
    model = job if isinstance(job, type) else type(job)
    try:
        return _registry[model._meta.label_lower]
    except KeyError:
        raise LookupError(f"{model.__name__} is not a registered job kind.") from None
