"""Who may advance a job right now: an atomic claim on the job row, renewed while a step runs.

Why not `select_for_update` alone: SQLite ignores it, and a row lock held across network calls
would also block the pause button. A claim is one conditional UPDATE (atomic on SQLite and
PostgreSQL alike): it succeeds when the job is due and its lease is free, expired, or held by a
process of this machine that no longer exists — so a worker killed with SIGKILL is replaced at
once, not after the lease runs out (which remains the rule for a worker lost on another
machine: at most `LEASE`, since a live owner renews its lease every `HEARTBEAT` during a step).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce

from envol.jobs.models import Job
from envol.processes import process_alive

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
HEARTBEAT_S = 15.0  # a quarter of the lease: three renewals may fail before it runs out

Clock = Callable[[], datetime]

_PROCESS_TOKEN = secrets.token_hex(4)
_runner_numbers = itertools.count(1)


def this_process() -> str:
    """`host:pid:token`: the token tells this process from an earlier one with the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


def new_owner() -> str:
    """An owner name for one runner (a thread) of this process."""
    return f"{this_process()}:{next(_runner_numbers)}"


def local_prefix() -> str:
    return f"{socket.gethostname()}:"


def owner_is_dead(owner: str) -> bool:
    """True when `owner` was a process of this machine that no longer runs. Owners on other
    machines are never known dead: their lease has to expire."""
    host, pid_text, token = [*owner.split(":"), "", "", ""][:3]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return token != _PROCESS_TOKEN  # our pid, an earlier process's token
    return not process_alive(pid)


def _due(model: type[Job], job_id: int, now: datetime) -> Q:
    return Q(pk=job_id, state__in=model.machine.runnable, due_at__lte=now)


def claim(model: type[Job], job_id: int, owner: str, now: datetime) -> bool:
    """Take a due job for one step; False when it is not due or a live owner holds it.
    The same UPDATE counts the attempt and stamps the first step's time."""
    lease = {
        "lease_owner": owner,
        "lease_until": now + LEASE,
        "attempts": F("attempts") + 1,
        "started_at": Coalesce("started_at", Value(now, output_field=DateTimeField())),
    }
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner)
    rows = model._default_manager
    if rows.filter(_due(model, job_id, now), free).update(**lease):
        return True
    holder = rows.filter(pk=job_id).values_list("lease_owner", flat=True).first()
    if holder and owner_is_dead(holder):
        return bool(rows.filter(_due(model, job_id, now), lease_owner=holder).update(**lease))
    return False


def release(model: type[Job], job_id: int, owner: str) -> None:
    rows = model._default_manager.filter(pk=job_id, lease_owner=owner)
    rows.update(lease_owner="", lease_until=None)


def holder_is_alive(job: Job, now: datetime) -> bool:
    """Someone live advances the job (its lease is current and its owner not known dead)."""
    if not job.lease_owner or job.lease_until is None or job.lease_until < now:
        return False
    return not owner_is_dead(job.lease_owner)


@contextlib.contextmanager
def heartbeat(
    model: type[Job], job_id: int, owner: str, clock: Clock, every_s: float = HEARTBEAT_S
) -> Iterator[None]:
    """Renew the lease every `every_s` seconds while the block runs (a long step: an archive
    import in one transaction, a slow network). A thread of its own with its own connection;
    it touches the database only when the step outlasts `every_s`.

    On SQLite a step holding the write lock makes a renewal wait; no one else can claim the job
    meanwhile either (a claim is a write), so the lease cannot be lost to it."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every_s):
                try:
                    model._default_manager.filter(pk=job_id, lease_owner=owner).update(
                        lease_until=clock() + LEASE
                    )
                except DatabaseError as exc:  # retried at the next beat
                    log.debug("lease renewal of %s %s failed: %s", model.__name__, job_id, exc)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"envol-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
