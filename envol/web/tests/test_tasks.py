"""Jobs go through Django's task interface with the database backend: a worker process runs them."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django_tasks_db.models import DBTaskResult

from envol.testing.subprocess_db import env_for_child
from envol.web.tasks import ping


@pytest.mark.django_db(transaction=True)
def test_enqueued_task_is_run_by_the_worker() -> None:
    result = ping.enqueue("bonjour")
    assert DBTaskResult.objects.filter(id=result.id).exists()
    worker = subprocess.Popen(
        [sys.executable, "-m", "envol", "manage", "db_worker", "--batch", "--no-startup-delay"],
        env=env_for_child(),
    )
    try:
        worker.wait(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        result.refresh()
        if result.is_finished:
            break
        time.sleep(0.1)
    assert result.return_value == "bonjour"
