"""The one runner of every long job: find due jobs, claim one, run its state's handler, store the
outcome, release; again.

Why a polling runner and not a chain of django-tasks: a job's due time and its lease live on its
own row, so "which jobs need a step now?" is one indexed query per kind, and a job whose worker
died is just due again once its lease is free — nothing to re-enqueue, no dead chain to detect.
django-tasks' `db_worker` stays beside it for one-off tasks.

Fairness: each round takes, per kind, the due jobs ranked by their fairness key (an account's
jobs take turns with other accounts' jobs, whatever their number), so a 50,000-follow migration
gets one step, then the small one beside it gets one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from envol.jobs import leases
from envol.jobs.kinds import JobKind, Outcome, Step, kind_of, registered, retry
from envol.jobs.machine import IllegalTransition
from envol.jobs.models import Job
from envol.jobs.transitions import announce, state_columns

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
J = TypeVar("J", bound=Job)
POLL_S = 1.0
ROUND_SIZE = 20  # due jobs taken per kind and round
# Runner threads per worker process: two, so that a long step (an archive import) does not
# hold up a post due now; more workers (processes, machines) for more.
JOB_RUNNERS = 2


Stored = tuple[str, datetime | None]  # a job's state and due time after a step


@dataclass(frozen=True)
class Stepped:
    """What `step` did: `ran` a handler, or found the job `busy` (a live owner holds it) or not
    due; `state` and `due_at` as the step left them."""

    ran: bool
    busy: bool
    state: str
    due_at: datetime | None


def step(
    job: Job,
    *,
    clock: Clock | None = None,
    owner: str | None = None,
    context: dict[str, Any] | None = None,
    heartbeat_s: float = leases.HEARTBEAT_S,
) -> Stepped:
    """One step of `job` in this thread, if it is due and nobody live holds it."""
    return _step(
        kind_of(job),
        job.pk,
        clock or timezone.now,
        owner or leases.new_owner(),
        {} if context is None else context,
        heartbeat_s,
    )


def _step(
    kind: JobKind[Any],
    job_id: int,
    clock: Clock,
    owner: str,
    context: dict[str, Any],
    heartbeat_s: float,
) -> Stepped:
    model = kind.model
    now = clock()
    if not leases.claim(model, job_id, owner, now):
        found = model._default_manager.filter(pk=job_id).first()
        if found is None:
            return Stepped(False, False, "", None)
        return Stepped(False, leases.holder_is_alive(found, now), found.state, found.due_at)
    stored: Stored | None = None
    try:
        with leases.heartbeat(model, job_id, owner, clock, heartbeat_s):
            stored = _run(kind, job_id, clock, owner, now, context)
    finally:
        if stored is None:  # the outcome was not stored (a person moved the job, or a crash)
            leases.release(model, job_id, owner)
    state, due_at = stored or _where(model, job_id)
    return Stepped(True, False, state, due_at)


def _run(
    kind: JobKind[Any],
    job_id: int,
    clock: Clock,
    owner: str,
    now: datetime,
    context: dict[str, Any],
) -> Stored | None:
    """Run the handler and store its outcome: the job's state and due time when stored (which
    also frees the lease), None when not."""
    job = kind.model._default_manager.select_related(*kind.select_related).get(pk=job_id)
    loaded = job.state
    handler = kind.handlers[loaded]
    moment = Step(clock=clock, now=now, owner=owner, context=context)
    if loaded in kind.atomic:
        try:
            with transaction.atomic():
                stored = _store(kind, job, loaded, handler(job, moment), owner, clock())
                if stored is None:
                    transaction.set_rollback(True)  # not ours any more: nothing of it stays
            return stored
        except Exception as exc:  # rolled back: the failed attempt is stored on its own
            log.exception("%s %s: step in %s failed", kind.label, job_id, loaded)
            outcome = retry(f"{type(exc).__name__}: {exc}")
            job = kind.model._default_manager.get(pk=job_id)
    else:
        try:
            outcome = handler(job, moment)
        except Exception as exc:
            log.exception("%s %s: step in %s failed", kind.label, job_id, loaded)
            outcome = retry(f"{type(exc).__name__}: {exc}")
    return _store(kind, job, loaded, outcome, owner, clock())


def _store(
    kind: JobKind[Any], job: Job, loaded: str, outcome: Outcome, owner: str, now: datetime
) -> Stored | None:
    """Write the outcome, and free the lease in the same UPDATE, only if the job is still in
    the state the step began in and still ours: a pause or a cancel pressed during the step
    wins, and the step's move is dropped."""
    machine = job.machine
    job.state = loaded
    fields: dict[str, Any] = {"consecutive_errors": 0, "last_error": ""}
    target, due = outcome.state or loaded, outcome.due
    if not outcome.error and not machine.can_move(loaded, target) and target != loaded:
        error = str(IllegalTransition(machine.name, loaded, target))
        outcome = retry(error)
        log.error("%s %s: %s", kind.label, job.pk, error)
    if outcome.error:
        errors = job.consecutive_errors + 1
        fields = {"consecutive_errors": errors, "last_error": outcome.error[:2000]}
        if errors >= kind.max_errors and machine.failed:
            target, due = machine.failed, None
        else:
            target, due = loaded, now + kind.backoff(errors)
    columns = {**state_columns(job, target, now, due), **fields, **outcome.fields}
    columns.update(lease_owner="", lease_until=None)
    ours = kind.model._default_manager.filter(pk=job.pk, state=loaded, lease_owner=owner)
    if not ours.update(**columns):
        return None
    if target == loaded:
        return columns["state"], columns["due_at"]
    for name, value in columns.items():
        setattr(job, name, value)
    announce(job, loaded, None, outcome.detail)
    return _where(kind.model, job.pk)  # the hook may have moved it on


def _where(model: type[Job], job_id: int) -> Stored:
    rows: Any = model._default_manager  # the concrete model's: `state` is declared there
    found: Stored = rows.filter(pk=job_id).values_list("state", "due_at").get()
    return found


def others_due(job: Job, now: datetime) -> bool:
    """Whether another batched job sharing `job`'s fairness key (another migration of its
    account, of either kind) is due: a handler that may do several batches in a step then
    does one, so that the account's batched jobs keep even turns. A one-step job (a metrics
    snapshot) does not count: it waits one step at most."""
    key = kind_of(job).fairness
    if key == "pk":
        return False
    for kind in registered():
        if kind.fairness != key or not kind.batched:
            continue
        due = kind.model._default_manager.filter(
            **{key: getattr(job, key)}, state__in=kind.model.machine.runnable, due_at__lte=now
        )
        if kind.model is type(job):
            due = due.exclude(pk=job.pk)
        if due.exists():
            return True
    return False


# --- in this process, to the end (the CLI's --wait, benches) -----------------------------------


def run_to_end(
    job: J,
    *,
    clock: Clock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_step: Callable[[J, Stepped], None] | None = None,
    on_wait: Callable[[J, datetime], None] | None = None,
    context: dict[str, Any] | None = None,
) -> J:
    """Advance `job` here until no handler runs in its state (finished, failed, paused…),
    sleeping until it is due again (`on_wait(job, due_at)` replaces the sleep: a countdown).
    A worker holding the job meanwhile is waited for, never raced. Returns the job reloaded.
    With an injected clock, pass a `sleep` that moves it."""
    clock = clock or timezone.now
    owner = leases.new_owner()
    kept: dict[str, Any] = {} if context is None else context
    while True:
        stepped = step(job, clock=clock, owner=owner, context=kept)
        job.refresh_from_db()
        if on_step is not None:
            on_step(job, stepped)
        if not job.is_runnable:
            return job
        if stepped.busy or job.due_at is None:
            sleep(POLL_S)
        elif job.due_at > clock():
            if on_wait is not None:
                on_wait(job, job.due_at)
            else:
                sleep(max((job.due_at - clock()).total_seconds(), 0.0))


# --- the worker's runner ---------------------------------------------------------------------


class Runner:
    """Advances the due jobs of every registered kind (or `kinds`), one step at a time, in
    fair turns. Run several, in one process or many, on one machine or many: claims keep each
    step to one runner."""

    def __init__(
        self,
        kinds: Iterable[JobKind[Any]] | None = None,
        *,
        clock: Clock | None = None,
        round_size: int = ROUND_SIZE,
        heartbeat_s: float = leases.HEARTBEAT_S,
        kept_contexts: int = 32,
    ) -> None:
        self.kinds = list(kinds) if kinds is not None else None
        self.clock = clock or timezone.now
        self.owner = leases.new_owner()
        self.round_size = round_size
        self.heartbeat_s = heartbeat_s
        self._contexts: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self._kept = kept_contexts

    def due(self) -> list[tuple[JobKind[Any], int]]:
        """The jobs to step this round, in fair order: one query per kind."""
        now = self.clock()
        local = leases.local_prefix()
        found: list[tuple[int, datetime, int, JobKind[Any], int]] = []
        for order, kind in enumerate(self.kinds if self.kinds is not None else registered()):
            model = kind.model
            rows = (
                model._default_manager.filter(state__in=model.machine.runnable, due_at__lte=now)
                .filter(
                    Q(lease_until__isnull=True)
                    | Q(lease_until__lt=now)
                    | Q(lease_owner__startswith=local)
                )
                .annotate(
                    turn=Window(
                        RowNumber(),
                        partition_by=[F(kind.fairness)],
                        order_by=[F("due_at").asc(), F("pk").asc()],
                    )
                )
                .order_by("turn", "due_at", "pk")
                .values_list("pk", "turn", "due_at", "lease_owner", "lease_until")[
                    : self.round_size
                ]
            )
            for pk, turn, due_at, holder, until in rows:
                held = holder and until is not None and until >= now
                if held and holder != self.owner and not leases.owner_is_dead(holder):
                    continue  # a live worker of this machine is on it
                found.append((turn, due_at, order, kind, pk))
        found.sort(key=lambda row: (row[0], row[1], row[2], row[4]))
        return [(kind, pk) for _turn, _due, _order, kind, pk in found]

    def run_once(self) -> int:
        """One round: a step for each due job this runner can claim; the number of steps."""
        steps = 0
        for kind, pk in self.due():
            key = (kind.label, pk)
            context = self._contexts.pop(key, {})
            stepped = _step(kind, pk, self.clock, self.owner, context, self.heartbeat_s)
            steps += stepped.ran
            if kind.model.machine.is_runnable(stepped.state):
                self._contexts[key] = context
                while len(self._contexts) > self._kept:
                    self._contexts.popitem(last=False)
        return steps

    def run(self, stop: threading.Event, poll_s: float = POLL_S) -> None:
        """Rounds until `stop` is set; waits `poll_s` after a round with nothing to do."""
        while not stop.is_set():
            close_old_connections()
            try:
                busy = self.run_once()
            except DatabaseError as exc:  # e.g. SQLite busy during another's long import
                log.warning("job runner round stopped by the database (%s); retrying", exc)
                busy = 0
            except Exception:  # a bug must not end the worker either
                log.exception("job runner round failed; retrying")
                busy = 0
            if not busy:
                stop.wait(poll_s)
        close_old_connections()


def start_runners(
    stop: threading.Event, count: int = 1, poll_s: float = POLL_S
) -> list[threading.Thread]:
    """`count` runner threads for this worker process (they stop when `stop` is set)."""
    threads = []
    for number in range(1, count + 1):
        runner = Runner()
        thread = threading.Thread(
            target=runner.run, args=(stop, poll_s), name=f"envol-jobs-{number}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads
