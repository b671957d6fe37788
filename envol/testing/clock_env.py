"""Which clock a child process of the tests gets under `pytest --clock` (see faketime.py).

Kept apart from faketime.py, which needs pytest: the PDS and PostgreSQL helpers that use these
also serve `envol sandbox`, where pytest need not be installed.
"""

from __future__ import annotations

import os

OFFSET_VARIABLE = "FAKETIME"
OFFSET_FILE_VARIABLE = "ENVOL_FAKETIME_FILE"


def server_environment(env: dict[str, str]) -> dict[str, str]:
    """`env` for a server that outlives a test: under a fake clock, it follows the shared file
    instead of the offset it was started with (libfaketime prefers the variable when set)."""
    if OFFSET_VARIABLE not in env or OFFSET_FILE_VARIABLE not in env:
        return env
    env = {name: value for name, value in env.items() if name != OFFSET_VARIABLE}
    env["FAKETIME_TIMESTAMP_FILE"] = env[OFFSET_FILE_VARIABLE]
    return env


def real_clock_environment() -> dict[str, str]:
    """This process's environment without libfaketime: for a child on the real clock."""
    return {
        name: value
        for name, value in os.environ.items()
        if name != "LD_PRELOAD" and not name.startswith("FAKETIME")
    }
