"""Declared state machines: which states exist, which moves are allowed, which states the runner
advances, which wait for a person and which end the work.

Why a declaration and not `if` statements spread over services: the runner, the pause button, the
admin and the tests all ask the same object "may this job go from A to B?", and a new state (the
publishing desk's `in_review`, `scheduled`…) is one line in a table, not a hunt through the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


class IllegalTransition(Exception):
    """A state change the machine does not allow (e.g. resuming a finished job)."""

    def __init__(self, kind: str, current: str, wanted: str) -> None:
        super().__init__(f"A {kind} cannot go from {current!r} to {wanted!r}.")
        self.kind, self.current, self.wanted = kind, current, wanted


class StateMachine:
    """States (a Django `TextChoices`), allowed transitions, and three kinds of state:

    - `runnable`: the runner advances them, one handler per state (`JobKind.handlers`);
    - waiting for a person: neither runnable nor terminal (paused, failed but resumable…);
    - terminal: no way out (derived: no outgoing transition).

    `failed` is where the runner sends a job after too many consecutive errors; `finished` lists
    the states that stamp `finished_at` (default: the terminal ones and `failed`).
    """

    def __init__(
        self,
        name: str,
        states: type[models.TextChoices],
        transitions: Mapping[str, Iterable[str]],
        *,
        runnable: Iterable[str] = (),
        failed: str | None = None,
        finished: Iterable[str] | None = None,
        initial: str | None = None,
    ) -> None:
        self.name = name
        self.states = states
        values = [str(value) for value in states.values]
        self.transitions: dict[str, frozenset[str]] = {
            str(state): frozenset(str(t) for t in targets) for state, targets in transitions.items()
        }
        missing = [v for v in values if v not in self.transitions]
        unknown = {t for ts in self.transitions.values() for t in ts} | set(self.transitions)
        unknown -= set(values)
        if missing or unknown:
            raise ValueError(
                f"{name}: every state needs a transitions entry (missing {missing}), "
                f"and only declared states may appear (unknown {sorted(unknown)})."
            )
        self.runnable = frozenset(str(s) for s in runnable)
        self.failed = str(failed) if failed is not None else None
        self.initial = str(initial) if initial is not None else values[0]
        self.terminal = frozenset(s for s, targets in self.transitions.items() if not targets)
        ended = self.terminal | ({self.failed} if self.failed else set())
        self.finished = frozenset(str(s) for s in finished) if finished is not None else ended
        if self.runnable & self.terminal:
            raise ValueError(f"{name}: a terminal state cannot be runnable.")
        if self.failed and self.failed in self.runnable:
            raise ValueError(f"{name}: the failed state cannot be runnable.")

    # -- questions --

    @property
    def choices(self) -> list[tuple[str, str]]:
        return list(self.states.choices)

    def waiting_for_a_person(self) -> frozenset[str]:
        return frozenset(self.transitions) - self.runnable - self.terminal

    def can_move(self, current: str, wanted: str) -> bool:
        return wanted in self.transitions.get(current, frozenset())

    def check(self, current: str, wanted: str) -> None:
        """Raise `IllegalTransition` unless `current → wanted` is declared (staying is allowed)."""
        if current != wanted and not self.can_move(current, wanted):
            raise IllegalTransition(self.name, current, wanted)

    def sources(self, wanted: str) -> list[str]:
        """The states from which `wanted` may be reached (to guard bulk updates in SQL)."""
        return [state for state, targets in self.transitions.items() if wanted in targets]

    def is_runnable(self, state: str) -> bool:
        return state in self.runnable

    def label(self, state: str) -> str:
        return str(dict(self.states.choices).get(state, state))

    # -- the model field --

    def field(self, **kwargs: Any) -> models.CharField[str, str]:
        """The `state` column: the choices, the initial state as default, room for the longest."""
        longest = max(len(str(value)) for value in self.states.values)
        kwargs.setdefault("max_length", max(20, longest))
        return models.CharField(choices=self.states.choices, default=self.initial, **kwargs)


def single_run(name: str, states: type[models.TextChoices]) -> StateMachine:
    """The machine of a job that runs once (an archive import, a matching): its states must
    be `pending`, `running`, `done`, `failed`; both runnable ones may fail."""
    return StateMachine(
        name,
        states,
        {
            "pending": {"running", "failed"},
            "running": {"done", "failed"},
            "done": set(),
            "failed": set(),
        },
        runnable=("pending", "running"),
        failed="failed",
    )


def batch_run(name: str, states: type[models.TextChoices]) -> StateMachine:
    """The machine of a job that sends items in batches within a rate budget (a follow
    migration, a history migration): its states must be `pending`, `running`,
    `waiting_rate_limit` (parked until the budget's window resets), `paused`, `done`, `failed`
    (resumable, e.g. after the account is reconnected) and `cancelled`."""
    return StateMachine(
        name,
        states,
        {
            "pending": {"running", "paused", "cancelled", "failed"},
            "running": {"waiting_rate_limit", "paused", "done", "failed", "cancelled"},
            "waiting_rate_limit": {"running", "paused", "cancelled", "failed"},
            "paused": {"pending", "cancelled"},
            "failed": {"pending", "cancelled"},
            "done": set(),
            "cancelled": set(),
        },
        runnable=("pending", "running", "waiting_rate_limit"),
        failed="failed",
    )


def batch_items(name: str, states: type[models.TextChoices]) -> StateMachine:
    """The machine of the items of a `batch_run` job: `pending` → `sent` (its key committed,
    the call under way) → `done`, `already` (there before the job), `skipped` or `failed`; a
    `sent` item that reconciliation proves never landed goes back to `pending` (same key), and
    a failed one is retried on demand."""
    return StateMachine(
        name,
        states,
        {
            "pending": {"sent", "already", "skipped", "failed"},
            "sent": {"done", "already", "skipped", "failed", "pending"},
            "done": set(),
            "already": set(),
            "skipped": set(),
            "failed": {"pending"},
        },
    )
