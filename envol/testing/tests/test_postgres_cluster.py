"""A throwaway PostgreSQL cluster never outlives the process that started it, even SIGKILLed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from envol.testing.fixtures.pds import give_up
from envol.testing.postgres import PostgresUnavailable, find_bindir

STARTER = """
import os, signal
from envol.testing.postgres import PostgresCluster
cluster = PostgresCluster.start()
print(cluster.datadir, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_cluster_is_stopped_and_removed_when_its_starter_is_killed() -> None:
    try:
        find_bindir()
    except PostgresUnavailable as exc:
        give_up(exc)
    started = subprocess.run(
        [sys.executable, "-c", STARTER], capture_output=True, text=True, timeout=120
    )
    assert started.returncode == -9, started.stderr
    datadir = Path(started.stdout.strip())
    assert datadir.name == "data"
    deadline = time.monotonic() + 60
    while datadir.parent.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not datadir.parent.exists()
    running = subprocess.run(["pgrep", "-f", f"postgres -D {datadir}"], capture_output=True)
    assert running.returncode == 1, running.stdout  # no server left on that folder
