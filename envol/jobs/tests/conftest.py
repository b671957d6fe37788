"""The chore table (test database only) and the chore kind registered for one test at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from envol.jobs import kinds
from envol.jobs.kinds import JobKind

from .chores import Chore, chores


@pytest.fixture(scope="session")
def chore_table(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.create_model(Chore)
    yield


@pytest.fixture
def chore_kind(chore_table: None, monkeypatch: pytest.MonkeyPatch) -> JobKind[Chore]:
    kind = chores()
    monkeypatch.setitem(kinds._registry, kind.label, kind)
    return kind


class Clock:
    """A clock the test moves by hand: no test reads the wall clock."""

    def __init__(self, start: datetime = datetime(2031, 3, 30, 1, 59, 59, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def new_chore(clock: Clock, **fields: Any) -> Chore:
    """A chore due at the test clock's now."""
    return Chore.objects.create(due_at=clock(), **fields)
