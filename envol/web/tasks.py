"""A trivial task that proves the queue and the worker are wired (used by `envol manage` checks)."""

from __future__ import annotations

from django_tasks import task


@task()
def ping(message: str) -> str:
    return message
