"""A throwaway PostgreSQL cluster from the machine's Debian binaries, on a free loopback port.

Used by the test suite (`pytest --db=postgres`), by `envol sandbox` and, durable, by the benches.
initdb refuses to run as root, so as root the cluster belongs to the `postgres` system user
(created by Debian's package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


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


@dataclass
class PostgresCluster:
    datadir: Path
    port: int
    bindir: Path
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql://envol@127.0.0.1:{self.port}/envol"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    @classmethod
    def start(cls, *, durable: bool = False) -> PostgresCluster:
        """A new cluster. Tests run it with durability off (fsync, synchronous commit and
        full-page writes: they lose nothing a test needs); `durable=True` keeps PostgreSQL's
        defaults, as production runs it, for the benchmarks."""
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
            "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={cluster.port} {durability}"
            f"-c unix_socket_directories={root} -c max_connections=200"
        )
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
        cluster._run(
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "envol",
            "envol",
        )
        return cluster

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"
            )
        for _ in range(20):
            if not (self.datadir / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)
