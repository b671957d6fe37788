"""Let a subprocess (a worker, `envol serve`) use the database of the running test.

pytest-django creates a separate test database; a child process only sees it when told its URL.
SQLite test databases are files (settings: TEST NAME) for exactly this reason.
"""

from __future__ import annotations

import os
import subprocess
import sys

from django.db import connection

from envol.testing.faketime import skip_threaded_child_under_fake_clock


def test_database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def env_for_child() -> dict[str, str]:
    """os.environ plus ENVOL_DATABASE_URL pointing at the current test database."""
    return {**os.environ, "ENVOL_DATABASE_URL": test_database_url()}


def start_worker(**env: str) -> subprocess.Popen[bytes]:
    """The real `envol worker` on the current test database, polling every 50 ms (the SIGKILL
    tests kill it); `env` adds to its environment. Skipped under a fake clock (see faketime)."""
    skip_threaded_child_under_fake_clock()
    return subprocess.Popen(
        [sys.executable, "-m", "envol", "worker", "--interval", "0.05"],
        env={**env_for_child(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
