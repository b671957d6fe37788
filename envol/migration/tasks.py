"""The task that advances a migration job: thin, the logic is in services.py.

Each run makes one bounded step and enqueues the next run — at once while there is work and
budget, at the window's reset time (`run_after`) when the job waits for the rate limit. Killing
the worker at any instant loses nothing: `services.recover_stalled` restarts a dead chain.
"""

from __future__ import annotations

from django_tasks import TaskContext, task

from envol.migration import services


@task(takes_context=True)
def advance_job(context: TaskContext, job_id: int) -> str:
    return services.advance_chain(job_id, str(context.task_result.id)).state
