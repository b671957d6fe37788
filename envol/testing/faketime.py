"""pytest option ``--clock``: every test starts at the same risky wall-clock instant.

Why: a test that passes at noon and fails at 23:59 UTC, on New Year's Eve or on a daylight-saving
change day depends on the hour (the project's rule: it must not). ``pytest --clock=new-year``
sets the wall clock back to one second before the next New Year in UTC before *each* test, so each
test starts at 23:59:59 and crosses midnight while it runs; ``dst-spring`` and ``dst-autumn`` do
the same one second before Europe/Paris changes hour (01:00 UTC on the last Sunday of March and of
October); ``paris-evening`` starts half an hour before midnight in Paris (22:30 UTC on New
Year's Eve), so a test's "later the same day" is the next local day. An ISO-8601 instant with
its UTC offset works too. ``make test-clock`` runs all four.

How: libfaketime, preloaded into pytest *and into the processes it starts* (the Bluesky PDS,
envol commands: they inherit ``LD_PRELOAD``; not chromium, nor threaded envol child processes, see
below), adds an offset to the real time. pytest and the commands a test starts read it from the
``FAKETIME`` environment variable at every clock read (``FAKETIME_NO_CACHE``): setting
``os.environ`` moves pytest's clock at once, and a command started afterwards inherits it. A
server started once for the session (the PDS) cannot inherit later moves, so it reads the same
offset from a file at every clock read (``FAKETIME_TIMESTAMP_FILE``, see `server_environment`),
and moving the clock moves it too. Why not the file everywhere: a file read at every clock read
cost pytest 6 µs a read. Monotonic clocks stay real (``FAKETIME_DONT_FAKE_MONOTONIC``): timeouts
and durations are unaffected. The library is the one python-libfaketime ships (PyPI
``libfaketime``): Debian's libfaketime 0.9.10 fails Python 3.11's ``time.sleep`` and
``threading`` waits with EINVAL once monotonic clocks are left alone.

When the option is given and the library is not preloaded yet, pytest re-executes itself with it,
before anything else starts (the PostgreSQL cluster of ``--db=postgres`` included).
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from envol.testing.clock_env import OFFSET_FILE_VARIABLE, OFFSET_VARIABLE

PARIS = ZoneInfo("Europe/Paris")


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _next(make: Callable[[int], datetime], now: datetime) -> datetime:
    """The first instant made by `make(year)` that is still in the future."""
    return next(moment for year in (now.year, now.year + 1) if (moment := make(year)) > now)


def _dst_change(month: int) -> Callable[[int], datetime]:
    """One second before 01:00 UTC on the last Sunday of `month`, when Paris changes hour."""
    return lambda year: _last_sunday(year, month).replace(hour=0, minute=59, second=59)


SCENARIOS: dict[str, Callable[[int], datetime]] = {
    "new-year": lambda year: datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC),
    # The last hour before a day's window resets (UTC), when Paris is already the next day:
    # what a test assuming "the reset is hours away" gets wrong.
    "last-hour": lambda year: datetime(year, 12, 31, 23, 0, 0, tzinfo=UTC),
    # Half an hour before midnight in Paris (New Year's Eve): "an hour later, the same day"
    # is the next local day and year, what a test of daily readings gets wrong.
    "paris-evening": lambda year: datetime(year, 12, 31, 22, 30, 0, tzinfo=UTC),
    "dst-spring": _dst_change(3),
    "dst-autumn": _dst_change(10),
}


def clock_start(scenario: str, now: datetime) -> datetime:
    """The instant each test starts at: future dates only (the offset to real time stays
    positive, so nothing a test creates is older than what it was created from)."""
    if scenario in SCENARIOS:
        start = _next(SCENARIOS[scenario], now)
        if scenario.startswith("dst"):
            before, after = (
                start.astimezone(PARIS),
                (start + timedelta(seconds=2)).astimezone(PARIS),
            )
            assert before.utcoffset() != after.utcoffset(), (before, after)
        return start
    start = datetime.fromisoformat(scenario)
    if start.tzinfo is None:
        raise pytest.UsageError(
            f"--clock={scenario}: give a scenario ({', '.join(SCENARIOS)}) or an instant with "
            "its UTC offset, e.g. 2026-12-31T23:59:59+00:00"
        )
    return start


def library_path() -> Path:
    spec = importlib.util.find_spec("libfaketime")
    if spec is None or not spec.submodule_search_locations:
        raise pytest.UsageError(
            "--clock needs the PyPI package libfaketime (`make venv` installs it)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"


def reexec_under_faketime(args: list[str]) -> None:
    """Called first thing at start-up: with `--clock`, run pytest again under libfaketime."""
    wanted = _option_value(args, "--clock")
    if wanted is None or under_fake_clock():
        return
    library = library_path()
    handle, timestamp_file = tempfile.mkstemp(prefix="envol-faketime-")
    os.write(handle, b"+0\n")
    os.close(handle)
    preload = " ".join(filter(None, [str(library), os.environ.get("LD_PRELOAD", "")]))
    env = {
        **os.environ,
        "LD_PRELOAD": preload,
        OFFSET_VARIABLE: "+0",
        OFFSET_FILE_VARIABLE: timestamp_file,
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        # Timed waits on monotonic condition variables (the GIL's among them) are real waits:
        # the library's "fix" for old glibc turned every such wait into an instant timeout,
        # so two busy threads handed the GIL back and forth and ran 50 times slower.
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)  # noqa: S606 (same argv)


def _option_value(args: list[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
        if arg == name and index + 1 < len(args):
            return args[index + 1]
    return None


def under_fake_clock() -> bool:
    """Whether this process runs under the preloaded libfaketime of `pytest --clock`."""
    return OFFSET_VARIABLE in os.environ


def current_offset() -> int:
    """The offset libfaketime adds to the real time now (whole seconds, fake minus real)."""
    return int(float(os.environ.get(OFFSET_VARIABLE) or 0))


class FakeClock:
    """Sets the offset libfaketime adds to the real time: for this process and the commands it
    starts (the variable), and for the servers already running (the file)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.offset = current_offset()

    def rewind(self) -> None:
        real_now = time.time() - self.offset
        offset = math.ceil(self.start.timestamp() - real_now)  # never before the start
        os.environ[OFFSET_VARIABLE] = f"{offset:+d}"
        if shared := os.environ.get(OFFSET_FILE_VARIABLE):
            path = Path(shared)
            fresh = path.with_name(path.name + ".new")
            fresh.write_text(f"{offset:+d}\n")
            fresh.replace(path)  # atomic: a server reading it never sees half a line
        self.offset = offset


def skip_threaded_child_under_fake_clock() -> None:
    """Skip the calling test under `pytest --clock` when it runs envol in a child process with
    threads (`envol serve`, `envol worker`), unless ``ENVOL_CLOCK_ALL=1``. They pass under the
    fake clock (they deadlocked only while the library's monotonic "fix" turned timed waits into
    instant timeouts, see `reexec_under_faketime`), but they are the suite's slowest, SIGKILL
    loops of several minutes, and three clock runs of them would not fit in CI's time. Their
    clock-dependent code runs in-process in other tests, which the clock runs do cover."""
    if under_fake_clock() and os.environ.get("ENVOL_CLOCK_ALL") != "1":
        pytest.skip(
            "envol in a threaded child process: under a fake clock with ENVOL_CLOCK_ALL=1 only"
        )


def skip_other_clocks_under_fake_clock() -> None:
    """Skip the calling test under `pytest --clock` when it compares envol's clock with a
    server's own (the PDS stamps records with its clock, which libfaketime's per-test rewind of
    envol's does not follow): the two would be days apart for the library's sake, not envol's.
    The clock-dependent rules themselves are tested in-process with injected clocks."""
    if under_fake_clock():
        pytest.skip("compares envol's clock with a test server's own: not run under libfaketime")
