"""envol's pytest plugin: the real test servers and the database switch.

Loaded with ``-p envol.testing.pytest_plugin`` (see pyproject) so that it runs before pytest-django
reads the settings: ``--db=postgres`` starts a throwaway PostgreSQL cluster and points
``ENVOL_DATABASE_URL`` at it, then only the tests that touch the database run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from envol.testing.faketime import reexec_under_faketime

# `--clock`: restart pytest under libfaketime now, before output capture or any server starts.
reexec_under_faketime([*os.environ.get("PYTEST_ADDOPTS", "").split(), *sys.argv[1:]])

pytest_plugins = [
    "envol.testing.fixtures.postgres",
    "envol.testing.fixtures.pds",
    "envol.testing.fixtures.appview",
    "envol.testing.fixtures.mastodon",
    "envol.testing.fixtures.browser",
    "envol.testing.fixtures.clock",
]

_cluster = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgres"],
        default=os.environ.get("ENVOL_TEST_DB", "sqlite"),
        help="database for the Django tests: sqlite (default) or postgres (a throwaway cluster)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    global _cluster
    # Playwright's sync API keeps an event loop in the main thread; Django would then refuse
    # ORM calls from tests that also drive the browser. The tests are single-threaded.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.environ.setdefault("ENVOL_DATA_DIR", tempfile.mkdtemp(prefix="envol-test-"))
    _remove_stale_sqlite_journals(Path(os.environ["ENVOL_DATA_DIR"]) / "test.sqlite3")
    os.environ.setdefault("ENVOL_SECRET_KEY", "test-secret-key-not-for-production")
    os.environ.setdefault("ENVOL_ENCRYPTION_KEYS", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=")
    # The test servers listen on 127.0.0.1, as the sandbox does: the guarded transport lets the
    # Django side (and worker subprocesses) reach them. Refusal tests set it back to false.
    os.environ.setdefault("ENVOL_ALLOW_PRIVATE_NETWORKS", "true")
    # Connected test accounts get no snapshot job of their own: a worker of another test would
    # read them on the test servers and change that test's request counts and rate budgets.
    # The snapshot tests make their jobs themselves (insights.snapshots.snapshot_job_for).
    os.environ.setdefault("ENVOL_SNAPSHOTS", "false")
    db = os.environ.get("ENVOL_TEST_DB", "sqlite")
    for i, arg in enumerate(args):
        if arg.startswith("--db="):
            db = arg.split("=", 1)[1]
        elif arg == "--db" and i + 1 < len(args):
            db = args[i + 1]
    if db == "postgres":
        from envol.testing.postgres import PostgresCluster

        _cluster = PostgresCluster.start()
        os.environ["ENVOL_DATABASE_URL"] = _cluster.url
        os.environ["ENVOL_TEST_DB"] = "postgres"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _cluster is not None:
        _cluster.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests that touch the database: the rest already ran on SQLite.
    The browser tests of a page's look (`rendering`: both themes, two widths, with and without
    JavaScript; 11 of the phase's 31 minutes) stay on SQLite: the test client renders the same
    pages on PostgreSQL (`envol/testing/walk.py`)."""
    if config.getoption("--db") != "postgres":
        return
    db_fixtures = {"db", "transactional_db", "django_db_setup", "live_server", "admin_client"}
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            db_fixtures & set(getattr(item, "fixturenames", ()))
        )
        on_postgres = uses_db and item.get_closest_marker("rendering") is None
        (keep if on_postgres else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _remove_stale_sqlite_journals(database: Path) -> None:
    """A run killed mid-way leaves the test database's -wal and -shm files behind once the
    database itself is deleted; SQLite then fails the next run's first query with "disk I/O
    error". Without the database they belong to nothing: remove them."""
    if database.exists():
        return
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
