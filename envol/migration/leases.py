"""Who may advance a job right now: an atomic claim on the job row.

Why not `select_for_update` alone: SQLite ignores it, and a row lock held across network calls
would also block the pause button. A claim is one conditional UPDATE (atomic on SQLite and
PostgreSQL alike): it succeeds when the lease is free, expired, or held by a process of this
machine that no longer exists — so a worker killed with SIGKILL is replaced at once, not after
the lease runs out (which remains the rule for a worker lost on another machine).
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from envol.migration.models import MigrationJob
from envol.processes import process_alive

LEASE = timedelta(minutes=2)  # far longer than one bounded step

_PROCESS_TOKEN = secrets.token_hex(4)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


def _owner_is_dead(owner: str) -> bool:
    host, _sep, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner != this_process()  # our pid, an earlier process's token
    return not process_alive(pid)


def claim(job_id: int) -> bool:
    """Take the job for one step; False when another live process holds it."""
    now = timezone.now()
    me = this_process()
    taken = MigrationJob.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=me), pk=job_id
    ).update(lease_owner=me, lease_until=now + LEASE)
    if taken:
        return True
    holder = MigrationJob.objects.filter(pk=job_id).values_list("lease_owner", flat=True).first()
    if holder and _owner_is_dead(holder):
        return bool(
            MigrationJob.objects.filter(pk=job_id, lease_owner=holder).update(
                lease_owner=me, lease_until=now + LEASE
            )
        )
    return False


def release(job_id: int) -> None:
    MigrationJob.objects.filter(pk=job_id, lease_owner=this_process()).update(
        lease_owner="", lease_until=None
    )


def is_free(job: MigrationJob) -> bool:
    """No live process advances the job (for recovery of lost task chains)."""
    if not job.lease_owner or job.lease_until is None or job.lease_until < timezone.now():
        return True
    return _owner_is_dead(job.lease_owner)
