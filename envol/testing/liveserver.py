"""Run the real `envol` command as a subprocess on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from envol.testing.faketime import skip_threaded_child_under_fake_clock
from envol.testing.postgres import free_port


@contextmanager
def running_envol(
    args: list[str], data_dir: Path, env: dict[str, str] | None = None, timeout: float = 300.0
) -> Iterator[str]:
    """Start `envol <args> --port P` with its own data dir; yield the base URL once it answers.

    `timeout` is a ceiling for a loaded machine (a fresh SQLite is migrated at start), never a
    measure: the CI machine runs other work too.
    """
    skip_threaded_child_under_fake_clock()
    port = free_port()
    full_env = {**os.environ, "ENVOL_DATA_DIR": str(data_dir), **(env or {})}
    full_env.pop("ENVOL_DATABASE_URL", None) if "ENVOL_DATABASE_URL" not in (env or {}) else None
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "envol", *args, "--port", str(port)],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"envol exited early:\n{(data_dir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"envol did not answer on {base} within {timeout} s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
