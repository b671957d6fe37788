"""A throwaway PostgreSQL cluster from the machine's Debian binaries, on a free loopback port.

Used by the test suite (`pytest --db=postgres`), by `envol sandbox` and, durable, by the benches.
initdb refuses to run as root, so as root the cluster belongs to the `postgres` system user
(created by Debian's package). pg_ctl starts the server in the background, where it would outlive
a process killed before its `stop()` (uvicorn re-raises SIGTERM after its shutdown, a test run may
be killed): a watchdog child stops and removes the cluster as soon as this process ends, however
it ends.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from envol.testing.clock_env import real_clock_environment


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here: say how to get them."""


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/<v>/bin holding initdb, or the one on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
        reverse=True,
    )
    found = candidates[0] if candidates else shutil.which("initdb")
    if not found:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found: install them with "
            "`apt-get install -y postgresql` (make test does it when it can)."
        )
    return Path(found).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# What docs/national-instance.md §1 sets on a production server, scaled to a benchmark machine:
# PostgreSQL's defaults (128 MB of shared buffers, a checkpoint every 1 GB of WAL) are sized
# for any small machine, and a crosswalk of millions of links or a million matches would be
# measured thrashing them; the default random_page_cost (4, for spinning disks) makes the planner
# hash the whole crosswalk to match one archive. Durability (fsync, synchronous commit,
# full-page writes) stays on.
PRODUCTION_SETTINGS = (
    "-c shared_buffers=1GB -c max_wal_size=4GB -c effective_cache_size=4GB -c random_page_cost=1.1 "
)


@dataclass
class PostgresCluster:
    datadir: Path
    port: int
    bindir: Path
    run_as: str | None
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql://envol@127.0.0.1:{self.port}/envol"

    def _as_owner(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def _run(self, *args: str) -> None:
        # On the real clock under `pytest --clock`: the server started with the session would
        # keep the offset of that instant, and nothing of envol's relies on its clock.
        subprocess.run(
            self._as_owner(*args), check=True, capture_output=True, env=real_clock_environment()
        )

    def _watch(self) -> None:
        """A child that waits for its stdin to close (our end closes when this process ends),
        then stops the server and removes its folder; in a session of its own, so that a Ctrl-C
        meant for us does not end it first."""
        pg_ctl, datadir, root = (
            shlex.quote(str(p)) for p in (self.bindir / "pg_ctl", self.datadir, self.datadir.parent)
        )
        script = f"cat >/dev/null; {pg_ctl} -D {datadir} -m immediate stop; rm -rf {root}"
        self._watchdog = subprocess.Popen(
            self._as_owner("sh", "-c", script),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=real_clock_environment(),
        )

    @classmethod
    def start(cls, *, durable: bool = False) -> PostgresCluster:
        """A new cluster. Tests run it with durability off (fsync, synchronous commit and
        full-page writes: they lose nothing a test needs); `durable=True` keeps PostgreSQL's
        durable defaults, as production runs it, for the benchmarks, with the memory and
        checkpoint spacing docs/national-instance.md sets (PRODUCTION_SETTINGS)."""
        bindir = find_bindir()
        run_as = "postgres" if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="envol-pg-"))
        datadir = root / "data"
        if run_as:
            shutil.chown(root, user=run_as)
        cluster = cls(datadir=datadir, port=free_port(), bindir=bindir, run_as=run_as)
        cluster._run(
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "envol",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        durability = (
            PRODUCTION_SETTINGS
            if durable
            else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={cluster.port} {durability}"
            f"-c unix_socket_directories={root} -c max_connections=200"
        )
        cluster._watch()
        cluster._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            opts,
            "-w",
            "-l",
            str(root / "log"),
            "start",
        )
        cluster._run(str(bindir / "createdb"), *cluster._client_options(), "envol")
        return cluster

    def _client_options(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "envol"]

    def recreate_database(self) -> None:
        """Drop the `envol` database, closing its connections, and create it empty."""
        self._run(str(self.bindir / "dropdb"), *self._client_options(), "--force", "envol")
        self._run(str(self.bindir / "createdb"), *self._client_options(), "envol")

    def stop(self) -> None:
        if self._watchdog is not None and self._watchdog.stdin is not None:
            self._watchdog.stdin.close()  # it stops the server and removes the folder
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=30)
        if self.datadir.exists():  # the watchdog could not do it
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"
                )
            for _ in range(20):
                if not (self.datadir / "postmaster.pid").exists():
                    break
                time.sleep(0.1)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)
