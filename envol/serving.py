"""Several web processes on one port, each with a listening socket of its own (SO_REUSEPORT).

Why not uvicorn's own workers: they accept from one shared socket, and the process awake at the
time takes the whole burst of new connections. Measured with `wrk` (20 keep-alive connections) on
two web processes: in 3 runs of 5, all 20 went to one process, which served on one core while the
other idled, and throughput halved (bench/web_load.py's pages varied ±40 % from run to run). With a
socket each, Linux spreads connections over the processes by a hash of their addresses.

Each process is an `envol.serving` subprocess kept alive by a `WorkerSupervisor` (restarted when
it dies, like the task worker). Linux only: elsewhere `reuse_port_supported()` is false and
`envol serve` falls back to uvicorn's workers.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from functools import partial

from envol.processes import die_with_parent
from envol.supervisor import WorkerSupervisor

APPLICATION = "envol.asgi:application"


def reuse_port_supported() -> bool:
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port` that other processes of this user may bind too; uvicorn
    starts listening on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve_one(host: str, port: int) -> None:
    """One web process (what each subprocess runs)."""
    import uvicorn

    config = uvicorn.Config(APPLICATION, host=host, port=port, log_level="info", lifespan="off")
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def _spawn(host: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "envol.serving", host, str(port)],
        preexec_fn=die_with_parent,  # forked from its supervisor's thread, which lives as long
    )


def serve_balanced(host: str, port: int, processes: int) -> None:
    """Run `processes` web processes until SIGTERM or SIGINT. Raises OSError at once when the
    port cannot be bound (in use by a program that does not share it)."""
    listening_socket(host, port).close()  # fails here, not in each child over and over
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    supervisors = [
        WorkerSupervisor(partial(_spawn, host, port), name="web process") for _ in range(processes)
    ]
    try:
        for supervisor in supervisors:
            supervisor.start()
        while not stop.wait(1.0):  # a signal handler sets it
            pass
    finally:
        for supervisor in supervisors:
            supervisor.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    serve_one(sys.argv[1], int(sys.argv[2]))
