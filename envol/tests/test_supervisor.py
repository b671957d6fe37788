"""The embedded task worker is started again when it dies, by the supervisor alone and under the
real `envol serve` (killed with SIGKILL, as the out-of-memory killer does)."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from envol.processes import process_alive
from envol.supervisor import Backoff, WorkerSupervisor, describe_exit
from envol.testing.liveserver import running_envol

WAIT_S = 120  # a ceiling for slow machines, never a measured duration


def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)


def recording(pauses: list[float]) -> Callable[[float], bool]:
    """Records the pause asked for instead of waiting it (never stops)."""

    def pause(seconds: float) -> bool:
        pauses.append(seconds)
        return False

    return pause


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])


def test_a_killed_worker_is_restarted_with_growing_pauses(caplog: pytest.LogCaptureFixture) -> None:
    pauses: list[float] = []
    caplog.set_level(logging.INFO, logger="envol.supervisor")
    supervisor = WorkerSupervisor(
        sleeper, backoff=Backoff(first_s=1, max_s=4), pause=recording(pauses)
    ).start()
    try:
        for round_ in range(1, 4):
            pid = supervisor.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            wait_for(
                lambda r=round_, p=pid: supervisor.restarts == r and supervisor.pid != p, "restart"
            )
        assert pauses == [1, 2, 4]  # and it would stay at 4 (the maximum)
        assert "killed by SIGKILL" in caplog.text and "Restarting it in 4 s" in caplog.text
    finally:
        supervisor.stop()
    assert supervisor.pid is not None and not process_alive_or_zombie(supervisor.pid)


def process_alive_or_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_that_lived_long_resets_the_pause() -> None:
    now = [0.0]
    pauses: list[float] = []
    supervisor = WorkerSupervisor(
        sleeper,
        backoff=Backoff(first_s=1, stable_after_s=60),
        clock=lambda: now[0],
        pause=recording(pauses),
    ).start()
    try:
        for round_, lived in enumerate([0, 0, 3600], start=1):
            pid = supervisor.pid
            assert pid is not None
            now[0] += lived
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda r=round_: supervisor.restarts == r, "restart")
    finally:
        supervisor.stop()
    assert pauses == [1, 2, 1]


def test_exit_descriptions() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(3) == "exit status 3"


@pytest.mark.slow
def test_envol_serve_restarts_its_killed_worker(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    started = re.compile(r"Task worker started \(pid (\d+)\)")
    with running_envol(["serve", "--worker"], tmp_path):
        wait_for(lambda: started.search(log.read_text()), "the first worker")
        first = int(started.findall(log.read_text())[0])
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: len(started.findall(log.read_text())) >= 2, "the worker's restart")
        second = int(started.findall(log.read_text())[1])
        assert second != first and process_alive(second)
        cmdline = Path(f"/proc/{second}/cmdline").read_bytes().split(b"\0")
        assert cmdline[-3:-1] == [b"envol", b"worker"]
        assert "killed by SIGKILL" in log.read_text()
    wait_for(lambda: not process_alive_or_zombie(second), "the worker to stop with the server")


def established_connections(pid: int, port: int) -> int:
    """TCP connections of `pid` on local `port`, from /proc (no tool needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        count += local_port == port and state == "01" and inode in inodes
    return count


@pytest.mark.slow
def test_envol_serve_spreads_connections_over_its_web_processes(tmp_path: Path) -> None:
    """Each web process listens on a socket of its own (envol/serving.py): 40 connections opened
    at once reach both processes (on one shared socket, all often went to one)."""
    log = tmp_path / "server.log"
    started = re.compile(r"Web process started \(pid (\d+)\)")
    with running_envol(["serve", "--no-worker", "--workers", "2"], tmp_path) as base:
        wait_for(lambda: log.read_text().count("Started server process") >= 2, "two processes")
        pids = [int(pid) for pid in started.findall(log.read_text())]
        port = int(base.rsplit(":", 1)[1])
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        try:
            for connection in connections:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            for connection in connections:
                assert connection.recv(64).startswith(b"HTTP/1.1 200")
            served = {pid: established_connections(pid, port) for pid in pids}
        finally:
            for connection in connections:
                connection.close()
        assert len(served) == 2 and sum(served.values()) == 40
        assert min(served.values()) >= 1, served
        # A web process that dies is started again; the server answers throughout.
        os.kill(pids[0], signal.SIGKILL)
        wait_for(lambda: len(started.findall(log.read_text())) >= 3, "the web process restarted")
        assert httpx.get(f"{base}/healthz").status_code == 200
    assert "killed by SIGKILL" in log.read_text()


def test_a_port_taken_by_another_program_is_refused_before_any_web_process_starts() -> None:
    from envol.serving import serve_balanced

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(OSError):
            serve_balanced("127.0.0.1", taken.getsockname()[1], 2)
    finally:
        taken.close()
