"""Helpers shared by the command modules: import from here, not from `envol.cli` (no cycles)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import click
import orjson

from envol.cli.i18n import _, cli_language

__all__ = [
    "change_job",
    "cli_language",
    "print_json",
    "read_secret",
    "run_with_progress",
    "setup_django",
]


def setup_django(check_database: bool = True) -> None:
    """Configure Django once, for commands that touch the database or the apps.

    The database must be reachable and migrated: the embedded SQLite is migrated here (a new data
    directory just works); any other database gets one line saying what to run, never a
    traceback. `check_database=False` for the commands that migrate it themselves.
    """
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    django.setup()
    from django.utils import translation

    translation.activate(cli_language())
    if check_database:
        ensure_database_ready()


def ensure_database_ready() -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    embedded = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    try:
        _reach_without_pool(connection)
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(
            _("Cannot reach the database ({database}): {error}").format(
                database=_database_name(settings.DATABASES["default"]), error=first_line
            )
        ) from None
    if not pending:
        return
    if embedded:
        click.echo(_("Preparing the database (first use or new version of envol)…"), err=True)
        call_command("migrate", interactive=False, verbosity=0)
        return
    raise click.ClickException(
        _("The database is not up to date: run `envol manage migrate` first.")
    )


def _reach_without_pool(connection: Any) -> None:
    """PostgreSQL: one plain connection first. Through the pool, an unreachable server would
    be retried for the pool's whole timeout (30 s), its attempts logged, before any error."""
    from django.db import DatabaseError

    if connection.vendor != "postgresql" or not connection.pool:
        return
    params = connection.get_connection_params()
    try:
        connection.Database.connect(**params, connect_timeout=10).close()
    except connection.Database.Error as exc:
        raise DatabaseError(str(exc)) from None


def _database_name(database: Mapping[str, Any]) -> str:
    """The database's name and host, never its password."""
    host = database.get("HOST") or ""
    port = database.get("PORT") or ""
    where = f"{host}:{port}" if port else str(host)
    return f"{database.get('NAME')}@{where}" if where else str(database.get("NAME"))


def read_secret(prompt: str, confirm: bool = False) -> str:
    """A secret from stdin when piped, else from a hidden prompt: never from argv (it would
    end up in shell history and process lists)."""
    if not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise click.UsageError(_("{prompt}: nothing on standard input.").format(prompt=prompt))
        return value
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def fail(message: str) -> None:
    """Print a user-facing mistake (one line per line of it) on stderr and exit with 1."""
    for line in str(message).splitlines() or [""]:
        click.secho(line, fg="red", err=True)
    sys.exit(1)


def organisation_or_exit(slug: str) -> Any:
    """The organisation `slug`, or its clear error and exit status 1 (Django set up first)."""
    from envol.orgs.services import OrgError, get_organisation

    try:
        return get_organisation(slug)
    except OrgError as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    """One JSON document on one line of standard output (`--json`, and a job's status)."""
    sys.stdout.write(orjson.dumps(data).decode() + "\n")


def change_job(
    job: Any,
    change: Callable[[Any], Any],
    status: Callable[[Any], Mapping[str, Any]],
    error_class: type[Exception],
) -> None:
    """A person's pause, resume or cancel of a job from the command line: the app's refusal
    (`error_class`, already in the person's language) as a one-line error, else the status."""
    try:
        change(job)
    except error_class as exc:
        raise click.ClickException(str(exc)) from None
    print_json(status(job))


def run_with_progress(
    job: Any,
    *,
    doing: str,
    waiting: Callable[[float], str],
    status: Callable[[Any], Mapping[str, Any]],
) -> None:
    """Run a batch job (`BatchTally`) here to its end under a progress bar (`--wait`): `doing`
    while it sends, `waiting(seconds left)` while it waits for the network's limit; then its
    status as JSON, and an error unless it is done."""
    from django.utils import timezone
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from envol.jobs.runner import Stepped, run_to_end

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=False,
    ) as progress:
        bar = progress.add_task(doing, total=None)

        def on_step(job: Any, _step: Stepped) -> None:
            progress.update(bar, total=job.total, completed=job.settled, description=doing)

        def on_wait(job: Any, until: datetime) -> None:
            while (left := (until - timezone.now()).total_seconds()) > 0:
                progress.update(bar, description=waiting(left))
                time.sleep(min(left, 1.0))

        job = run_to_end(job, on_step=on_step, on_wait=on_wait)
    print_json(status(job))
    if job.state != "done":
        raise click.ClickException(job.last_error or job.get_state_display())
