"""What every long job stores, and the rate budgets its accounts share.

`Job` is abstract: each kind of job (a follow migration, an archive import, a post to publish…)
is a concrete model of its own app that inherits these columns. The runner needs nothing else:
the state says which handler runs, `due_at` says when, the lease says who runs it now. A job
whose worker died is simply due again once its lease is free — no second queue to repair.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from envol.jobs.machine import StateMachine


class Job(models.Model):
    """The engine's columns. A concrete job declares `machine` (a `StateMachine`) and its
    `state = machine.field()`, and keeps `class Meta(Job.Meta)` for the runner's index."""

    machine: ClassVar[StateMachine]
    state: Any  # declared by the concrete model: `state = MACHINE.field()`

    # When the runner should advance the job next; NULL when no handler runs in its state.
    due_at = models.DateTimeField(null=True, blank=True)
    # Who advances the job now ("host:pid:token:runner") and until when: one conditional UPDATE
    # claims it; a dead local owner is taken over at once, a lost remote one when this expires.
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # steps run
    consecutive_errors = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)  # its first step
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [
            # The runner's query: due jobs only (a partial index stays small however many
            # finished jobs accumulate).
            models.Index(
                fields=["due_at"],
                condition=models.Q(due_at__isnull=False),
                name="%(app_label)s_%(class)s_due",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new job in a runnable state is due at once."""
        if self._state.adding and self.due_at is None and self.machine.is_runnable(self.state):
            self.due_at = timezone.now()
        super().save(*args, **kwargs)

    def move_to(self, wanted: str) -> None:
        """Change the state in memory (the caller saves), refusing what the machine forbids.
        The runner and `transitions.move` change it in the database, conditionally."""
        self.machine.check(self.state, wanted)
        self.state = wanted

    def can_move_to(self, wanted: str) -> bool:
        return self.machine.can_move(self.state, wanted)

    @property
    def is_runnable(self) -> bool:
        return self.machine.is_runnable(self.state)


TALLIED = ("done", "already", "skipped", "failed", "pending")  # BatchTally.counts()


class BatchTally(models.Model):
    """How far a job that sends items in batches (`machine.batch_run`: a follow migration, a
    history migration) has gone, kept on its row by each step: a progress page or a status
    reads one row, never counts the items. A mixin beside `Job`: `class MyJob(Job, BatchTally)`."""

    total = models.PositiveIntegerField(default=0)  # items to send
    count_done = models.PositiveIntegerField(default=0)
    count_already = models.PositiveIntegerField(default=0)
    count_skipped = models.PositiveIntegerField(default=0)
    count_failed = models.PositiveIntegerField(default=0)
    count_pending = models.PositiveIntegerField(default=0)  # pending + sent
    calls = models.PositiveIntegerField(default=0)  # batches sent (counted before)

    class Meta:
        abstract = True

    def counts(self) -> dict[str, int]:
        """{"done": count_done, "already": …, "pending": count_pending}, in that order."""
        return {end: getattr(self, f"count_{end}") for end in TALLIED}

    @property
    def settled(self) -> int:
        return self.total - self.count_pending

    @property
    def progress_percent(self) -> int:
        if not self.total:
            return 100
        return int(100 * self.settled / self.total)


class AccountBudget(models.Model):
    """One connected account's rate budget for one action ("write", "follow", "request"…),
    shared by every job of that account: a follow migration and a history migration on the
    same Bluesky account draw on these windows, never on one each.

    `windows` is `networks.ratelimit.RateBudget.to_state()`. Keyed by the account's id only, so
    the engine does not depend on the organisations app."""

    account_id = models.BigIntegerField()
    action = models.CharField(max_length=30)
    windows = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_id", "action"], name="one_budget_per_action")
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} {self.action}"


class BudgetReservation(models.Model):
    """Points counted as spent before a call that may never land. The step that made it settles
    it once the call went out, or releases it when reconciliation proves nothing landed — also
    after a crash, since the reservation outlives the process that made it.

    `points` maps an action to {"points": n, "windows": {window seconds: reset ISO time}}: a
    release gives points back only to the windows that have not rolled over since."""

    account_id = models.BigIntegerField()
    key = models.CharField(max_length=200)
    points = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_id", "key"], name="one_reservation_per_key")
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} {self.key}"
