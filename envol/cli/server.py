"""Running envol: `envol demo`, `envol serve`, `envol worker`, `envol manage …`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from envol.cli.common import setup_django
from envol.cli.i18n import _, command, gettext_noop
from envol.processes import die_with_parent


@command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    help=gettext_noop("Run a Django management command (e.g. `envol manage migrate`)."),
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    setup_django(check_database=False)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["envol manage", *args])


def prepare(verbosity: int = 1) -> None:
    """Everything a fresh data dir needs before serving: tables and static files."""
    setup_django(check_database=False)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=0)


def _spawn_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "envol", "worker"],
        env=os.environ.copy(),
        preexec_fn=die_with_parent,  # forked from the supervisor's thread, which never ends early
    )


def run_server(host: str, port: int, with_worker: bool, workers: int = 1) -> None:
    """uvicorn with `workers` web processes (each with a socket of its own: envol/serving.py)
    and, when asked, a supervised task worker."""
    import uvicorn

    from envol.serving import APPLICATION, reuse_port_supported, serve_balanced
    from envol.supervisor import WorkerSupervisor

    supervisor = WorkerSupervisor(_spawn_worker).start() if with_worker else None
    if supervisor:
        click.echo(_("Worker started (pid {pid}).").format(pid=supervisor.pid))
    try:
        if workers > 1 and reuse_port_supported():
            try:
                serve_balanced(host, port, workers)
            except OSError as exc:
                raise click.ClickException(
                    _("Cannot listen on {host}:{port}: {reason}.").format(
                        host=host, port=port, reason=exc.strerror or exc
                    )
                ) from None
        else:
            uvicorn.run(
                APPLICATION,
                host=host,
                port=port,
                log_level="info",
                lifespan="off",
                workers=workers,
            )
    finally:
        if supervisor:
            supervisor.stop()


def _embedded() -> bool:
    from django.conf import settings

    return bool(settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"))


def default_web_workers(embedded: bool) -> int:
    """One web process on the embedded SQLite (one writer at a time: more processes would only
    queue on the database lock, and the task worker shares it); else one per core."""
    return 1 if embedded else max(os.cpu_count() or 1, 1)


@command(
    help=gettext_noop("Serve the web interface (and, on the embedded default, a worker beside it).")
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--worker/--no-worker",
    default=None,
    help=gettext_noop("Run a task worker beside the server (default: yes on the embedded SQLite)."),
)
@click.option(
    "--workers",
    "web_workers",
    type=click.IntRange(min=1),
    default=None,
    help=gettext_noop("Web processes (default: one per core; one on the embedded SQLite)."),
)
def serve(host: str, port: int, worker: bool | None, web_workers: int | None) -> None:
    prepare(verbosity=0)
    embedded = _embedded()
    run_server(
        host,
        port,
        embedded if worker is None else worker,
        web_workers or default_web_workers(embedded),
    )


@command(
    name="worker",
    help=gettext_noop(
        "Run a task worker (as many as you like, on as many machines, in production). Beside "
        "the queue of one-off tasks, it advances every long job (follow migrations, imports, "
        "publishing, matching) that is due, including those whose worker died."
    ),
)
@click.option("--queue", default="default", show_default=True)
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=float,
    help=gettext_noop("Seconds between polls when the queue is empty."),
)
def worker_command(queue: str, interval: float) -> None:
    import threading

    setup_django()
    from django.core.management import call_command

    from envol.jobs.runner import JOB_RUNNERS, start_runners

    stop = threading.Event()
    runners = start_runners(stop, count=JOB_RUNNERS, poll_s=interval)
    options: dict[str, Any] = {"queue_name": queue, "interval": interval}
    try:
        call_command("db_worker", **options)
    finally:
        stop.set()
        for runner in runners:
            runner.join(timeout=10)  # a step in flight may end; a long one is resumed later


@command(
    help=gettext_noop(
        "Create the data dir, migrate, seed a demo organisation and user, then serve."
    )
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help=gettext_noop("Prepare the demo data and stop."))
@click.option(
    "--sandbox/--no-sandbox",
    "with_sandbox",
    default=True,
    show_default=True,
    help=gettext_noop("Start the local Bluesky and Mastodon servers and connect the demo to them."),
)
def demo(host: str, port: int, no_serve: bool, with_sandbox: bool) -> None:
    if with_sandbox:
        os.environ["ENVOL_ALLOW_PRIVATE_NETWORKS"] = "true"
    # The demo's four weeks of readings are generated (seed_demo_snapshots): a snapshot job of
    # the sandbox accounts would overwrite today's with the sandbox's handful of followers.
    os.environ.setdefault("ENVOL_SNAPSHOTS", "false")
    prepare(verbosity=0)
    from envol.orgs.demo import seed_demo

    login = seed_demo()
    running = None
    if with_sandbox and not no_serve:
        from envol.cli.sandbox import print_sandbox, start_sandbox

        running = start_sandbox(login.org_slug)
        print_sandbox(running)
    if with_sandbox:
        from envol.demo import seed_demo_portability
        from envol.orgs.models import Organisation

        demo_org = Organisation.objects.get(slug=login.org_slug)
        demo_archive = seed_demo_portability(demo_org, running)  # type: ignore[arg-type]
        from envol.demo import seed_demo_desk

        if seed_demo_desk(demo_org, login.email):
            click.echo(
                "  " + _("Publishing desk: drafts, a post to review, one scheduled, one published.")
            )
        click.echo("  " + _("Demo X archive imported; matches ready to review and migrate."))
        from envol.demo import plan_demo_history

        for line in plan_demo_history(demo_org, demo_archive):
            click.echo("  " + _("history plan: {line}").format(line=line))
        click.echo(
            "  "
            + _("Archive site of the demo posts: {url}").format(
                url=f"http://{host}:{port}/{login.org_slug}/archive/"
            )
        )
        from envol.demo import seed_demo_relay

        seed_demo_relay(Organisation.objects.get(slug=login.org_slug), f"http://{host}:{port}")
        click.echo(
            "  "
            + _("Demo relay (a local feed → the sandbox accounts): {path}").format(
                path=f"/o/{login.org_slug}/relays/"
            )
        )
    from envol.demo import seed_demo_insights
    from envol.orgs.models import Organisation as DemoOrganisation

    seed_demo_insights(DemoOrganisation.objects.get(slug=login.org_slug))
    click.echo("  " + _("Demo flood campaign imported (Facebook, Instagram, LinkedIn, X exports)."))
    click.echo(
        "  " + _("Four weeks of Bluesky and Mastodon readings seeded (followers, posts, clicks).")
    )
    from django.conf import settings as demo_settings
    from django.contrib.auth import get_user_model

    from envol.decide.demo import seed_demo_decide

    seed_demo_decide(
        DemoOrganisation.objects.get(slug=login.org_slug),
        Path(demo_settings.DATA_DIR) / "demo" / "decide",
        get_user_model().objects.get(username=login.email),
    )
    click.echo("  " + _("Demo effort, costs, assessments and a signed decision seeded (Decide)."))
    click.secho(_("envol demo is ready."), fg="green", bold=True)
    click.echo("  " + _("Address: {url}").format(url=f"http://{host}:{port}/"))
    click.echo("  " + _("Login: {email}").format(email=login.email))
    click.echo("  " + _("Password: {password}").format(password=login.password))
    try:
        if not no_serve:
            run_server(host, port, with_worker=True)
    finally:
        if running is not None:
            running.stop()  # type: ignore[attr-defined]
