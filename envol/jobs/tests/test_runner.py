"""The runner: outcomes stored conditionally (a person's pause wins), failed attempts backed off
then failed, fair turns between accounts, one query per kind, and nothing read from the wall
clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envol.jobs import kinds
from envol.jobs.kinds import JobKind
from envol.jobs.leases import local_prefix, this_process
from envol.jobs.machine import IllegalTransition
from envol.jobs.runner import Runner, run_to_end, step
from envol.jobs.transitions import change_state, move

from .chores import Chore, ChoreState, chores
from .conftest import Clock, new_chore


@pytest.mark.django_db
def test_a_job_steps_through_its_states_to_the_end(
    chore_kind: JobKind[Chore], clock: Clock
) -> None:
    chore = new_chore(clock, units=3)
    assert step(chore, clock=clock).state == ChoreState.WORKING
    for _ in range(3):
        assert step(chore, clock=clock).ran
    chore.refresh_from_db()
    assert (chore.state, chore.done_units, chore.attempts) == (ChoreState.DONE, 3, 4)
    assert chore.due_at is None and chore.finished_at == clock() and chore.started_at == clock()
    assert not step(chore, clock=clock).ran  # nothing runs in a terminal state


@pytest.mark.django_db
def test_failed_attempts_back_off_then_fail_the_job(
    chore_kind: JobKind[Chore], clock: Clock
) -> None:
    chore = new_chore(clock, state=ChoreState.WORKING, mode="fail")
    began = clock()
    assert step(chore, clock=clock).ran
    chore.refresh_from_db()
    assert chore.consecutive_errors == 1 and "network is down" in chore.last_error
    assert chore.state == ChoreState.WORKING and chore.due_at == began + timedelta(seconds=5)
    clock.advance(seconds=4)
    assert not step(chore, clock=clock).ran  # not due yet
    clock.advance(seconds=1)
    assert step(chore, clock=clock).ran
    chore.refresh_from_db()
    assert chore.due_at == clock() + timedelta(seconds=10)  # 5 s, 10 s, 20 s…
    clock.advance(seconds=10)
    step(chore, clock=clock)  # the third in a row (max_errors=3 for chores)
    chore.refresh_from_db()
    assert chore.state == ChoreState.FAILED and chore.due_at is None
    assert chore.finished_at == clock()
    move(chore, ChoreState.TODO, now=clock())  # a person retries it
    chore.refresh_from_db()
    assert chore.consecutive_errors == 0 and chore.due_at == clock() and chore.finished_at is None


@pytest.mark.django_db
def test_a_pause_pressed_during_a_step_wins_over_the_steps_move(
    chore_kind: JobKind[Chore], clock: Clock
) -> None:
    chore = new_chore(clock, state=ChoreState.WORKING, mode="paused-meanwhile")
    stepped = step(chore, clock=clock)
    assert stepped.ran and stepped.state == ChoreState.PAUSED and stepped.due_at is None
    chore.refresh_from_db()
    assert chore.lease_owner == "" and chore.finished_rank is None  # "done" was dropped
    assert not step(chore, clock=clock).ran


@pytest.mark.django_db
def test_illegal_moves_are_refused_by_person_and_step_alike(
    chore_kind: JobKind[Chore], clock: Clock
) -> None:
    chore = new_chore(clock, units=1)
    with pytest.raises(IllegalTransition):
        move(chore, ChoreState.DONE)  # never without working
    stale = Chore.objects.get(pk=chore.pk)
    assert move(chore, ChoreState.CANCELLED)
    assert not move(stale, ChoreState.PAUSED)  # read as "to do", cancelled meanwhile
    assert stale.state == ChoreState.CANCELLED  # reloaded: the caller sees why


class Refused(Exception):
    """An app's own error: `change_state` raises it with the app's message."""


@pytest.mark.django_db
def test_a_persons_change_is_retried_once_read_again_then_refused_in_the_apps_words(
    chore_kind: JobKind[Chore], clock: Clock
) -> None:
    words = {"error_class": Refused, "refused": "It is %(state)s.", "busy": "Try again."}
    chore = new_chore(clock, units=1)
    stale = Chore.objects.get(pk=chore.pk)
    assert move(chore, ChoreState.WORKING)  # a step starts it meanwhile
    with pytest.raises(Refused, match=r"^Try again\.$"):  # one attempt: lost to the step
        change_state(stale, ChoreState.PAUSED, attempts=1, **words)
    assert stale.state == ChoreState.WORKING  # reloaded
    stale.state = ChoreState.TODO  # as if read before the step again
    change_state(stale, ChoreState.PAUSED, actor="a person", **words)  # read again, then paused
    assert stale.state == ChoreState.PAUSED
    assert Chore.objects.get(pk=chore.pk).state == ChoreState.PAUSED
    change_state(stale, ChoreState.CANCELLED, **words)
    with pytest.raises(Refused, match=r"^It is Cancelled\.$"):
        change_state(stale, ChoreState.TODO, **words)


@pytest.mark.django_db
def test_the_clock_is_the_runners_not_the_walls(chore_kind: JobKind[Chore], clock: Clock) -> None:
    chore = new_chore(clock, state=ChoreState.WORKING, mode="wait-an-hour", units=2)
    runner = Runner([chore_kind], clock=clock)
    assert runner.run_once() == 1
    chore.refresh_from_db()
    assert chore.due_at == clock() + timedelta(hours=1)
    assert runner.due() == [] and runner.run_once() == 0
    clock.advance(minutes=59, seconds=59)
    assert runner.due() == []
    clock.advance(seconds=1)
    assert runner.due() == [(chore_kind, chore.pk)]

    waits: list[float] = []
    other = new_chore(clock, state=ChoreState.WORKING, mode="wait-an-hour", units=2)

    def sleep(seconds: float) -> None:  # run_to_end sleeps on the injected clock
        waits.append(seconds)
        clock.advance(seconds=seconds)

    finished = run_to_end(other, clock=clock, sleep=sleep)
    assert finished.state == ChoreState.DONE and waits == [3600.0]


@pytest.mark.django_db
def test_finding_due_jobs_is_one_query_per_kind(chore_kind: JobKind[Chore], clock: Clock) -> None:
    made = [new_chore(clock, account=n % 4) for n in range(30)]
    _host, pid, _token = this_process().split(":")
    Chore.objects.filter(account=3).update(  # held by an earlier process with our pid: dead
        lease_owner=f"{local_prefix()}{pid}:0ld70ken:1", lease_until=clock() + timedelta(1)
    )
    Chore.objects.filter(pk__in=[c.pk for c in made[-2:]]).update(  # a live remote worker's
        lease_owner="elsewhere:12:abcd:1", lease_until=clock() + timedelta(1)
    )
    runner = Runner([chore_kind], clock=clock, round_size=100)
    with CaptureQueriesContext(connection) as queries:
        due = runner.due()
    assert len(queries) == 1 and len(due) == 28
    assert [Chore.objects.get(pk=pk).account for _k, pk in due[:4]] == [0, 1, 2, 3]  # turns


def _run_until_done(runners: list[Runner]) -> None:
    def loop(runner: Runner) -> None:
        try:
            for _round in range(1000):
                if not Chore.objects.exclude(state=ChoreState.DONE).exists():
                    return
                runner.run_once()
        finally:
            connection.close()

    threads = [threading.Thread(target=loop, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not Chore.objects.exclude(state=ChoreState.DONE).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fair", [True, False])
def test_a_small_job_is_not_held_up_by_another_accounts_big_ones(
    chore_table: None, clock: Clock, monkeypatch: pytest.MonkeyPatch, fair: bool
) -> None:
    """Six big chores of account 1, then one small chore of account 2; two runners taking two
    due jobs a round. Turns per account: the small one finishes first. Without them (every
    job its own turn, oldest first) it waits for the big ones — the test can fail."""
    kind = chores(fairness="account" if fair else "pk")
    monkeypatch.setitem(kinds._registry, kind.label, kind)
    big = [new_chore(clock, account=1, units=20) for _ in range(6)]
    small = new_chore(clock, account=2, units=3)
    _run_until_done([Runner([kind], clock=clock, round_size=2) for _ in range(2)])
    ranks = {c.pk: c.finished_rank for c in Chore.objects.all()}
    first_big = min(ranks[c.pk] or 0 for c in big)
    if fair:
        assert ranks[small.pk] < first_big
    else:
        assert ranks[small.pk] > first_big
