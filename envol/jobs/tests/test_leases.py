"""Claims: one owner at a time across threads and processes; a dead local owner is replaced at
once, a silent remote one when its lease expires; a long step keeps its lease by heartbeats."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from envol.jobs import leases
from envol.jobs.kinds import JobKind
from envol.jobs.runner import step
from envol.testing.subprocess_db import env_for_child

from .chores import RELEASE, STARTED, Chore, ChoreState
from .conftest import Clock, new_chore

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_of_many_threads_wins_the_claim(chore_kind: JobKind[Chore], clock: Clock) -> None:
    chore = new_chore(clock)
    start = threading.Barrier(8)
    won: list[bool] = []

    def contender() -> None:
        owner = leases.new_owner()
        start.wait()
        try:
            won.append(leases.claim(Chore, chore.pk, owner, clock()))
        finally:
            connection.close()

    threads = [threading.Thread(target=contender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 7 + [True]


CLAIMER = textwrap.dedent(
    """
    import os, sys, time
    from datetime import datetime
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    import django
    django.setup()
    from envol.jobs import leases
    from envol.jobs.tests.chores import Chore
    go, pk, now = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    while not os.path.exists(go):
        time.sleep(0.005)
    print(leases.claim(Chore, pk, leases.new_owner(), now), flush=True)
    # Stay alive until every contender has answered: a winner that had already exited would be
    # a dead local owner, whose job a slower contender rightly takes over.
    sys.stdin.read()
    """
)


def test_one_of_many_processes_wins_the_claim(
    chore_kind: JobKind[Chore], clock: Clock, tmp_path: Path
) -> None:
    chore = new_chore(clock)
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(go), str(chore.pk), clock().isoformat()],
            env=env_for_child(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(0.5)  # let them all reach the starting line (a head start only helps one win)
    go.touch()
    answers = sorted(child.stdout.readline().strip() for child in children)  # type: ignore[union-attr]
    for child in children:
        child.communicate(timeout=120)  # closes their stdin: they may end now
    assert answers == ["False", "False", "False", "True"]
    assert Chore.objects.get(pk=chore.pk).lease_owner.split(":")[1] != str(os.getpid())


def test_a_dead_local_owner_is_replaced_at_once_a_remote_one_when_its_lease_ends(
    chore_kind: JobKind[Chore], clock: Clock
) -> None:
    chore = new_chore(clock)
    host = leases.local_prefix()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        Chore.objects.filter(pk=chore.pk).update(
            lease_owner=f"{host}{alive.pid}:other:1", lease_until=clock() + leases.LEASE
        )
        assert not leases.claim(Chore, chore.pk, leases.new_owner(), clock())  # it lives
    finally:
        alive.kill()
        alive.wait()
    me = leases.new_owner()
    assert leases.claim(Chore, chore.pk, me, clock())  # its pid is gone: no lease to wait out
    assert Chore.objects.get(pk=chore.pk).lease_owner == me
    leases.release(Chore, chore.pk, me)

    Chore.objects.filter(pk=chore.pk).update(
        lease_owner="another-machine:4242:abcd:1", lease_until=clock() + leases.LEASE
    )
    assert not leases.claim(Chore, chore.pk, me, clock() + leases.LEASE / 2)
    assert leases.claim(Chore, chore.pk, me, clock() + leases.LEASE * 1.01)


def test_an_earlier_process_with_our_pid_is_dead() -> None:
    mine = leases.this_process()
    host, pid, _token = mine.split(":")
    assert not leases.owner_is_dead(f"{mine}:7")
    assert leases.owner_is_dead(f"{host}:{pid}:0ld70ken:1")
    assert not leases.owner_is_dead(f"elsewhere:{pid}:0ld70ken:1")


def test_a_long_step_renews_its_lease_and_keeps_the_job(
    chore_kind: JobKind[Chore], clock: Clock
) -> None:
    chore = new_chore(clock, state=ChoreState.WORKING, mode="block", units=1)
    RELEASE[chore.pk], STARTED[chore.pk] = threading.Event(), threading.Event()
    began = clock()

    def long_step() -> None:
        try:
            step(chore, clock=clock, heartbeat_s=0.02)
        finally:
            connection.close()

    runner = threading.Thread(target=long_step)
    runner.start()
    try:
        assert STARTED[chore.pk].wait(timeout=60)
        clock.advance(seconds=50)
        renewed = began + timedelta(seconds=50) + leases.LEASE
        deadline = time.monotonic() + 60
        while Chore.objects.get(pk=chore.pk).lease_until != renewed:
            assert time.monotonic() < deadline, "the lease was never renewed"
            time.sleep(0.01)
        clock.advance(seconds=20)  # past the lease first taken: a step without heartbeat lost it
        assert not leases.claim(Chore, chore.pk, "another-machine:1:x:1", clock())
    finally:
        RELEASE[chore.pk].set()
        runner.join()
    done = Chore.objects.get(pk=chore.pk)
    assert done.state == ChoreState.DONE and done.lease_owner == "" and done.attempts == 1
