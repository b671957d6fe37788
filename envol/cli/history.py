"""`envol history …`: the organisation's post history. `site` builds the static archive site;
`plan`, `migrate`, `status`, `pause`, `resume`, `cancel`: the posts to Bluesky, backdated."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from envol.cli.common import change_job, print_json, run_with_progress, setup_django
from envol.cli.i18n import gettext_noop, group


@group(help=gettext_noop("Post history: the archive site of the X posts (and their migration)."))
def history() -> None:
    pass


@history.command(
    "site",
    help=gettext_noop("Build the static archive site of an import's posts into OUTPUT."),
)
@click.option(
    "--import", "import_id", required=True, type=int, help=gettext_noop("Archive import (its id).")
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option(
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=gettext_noop("Folder to write (empty, or an archive site built before: it is replaced)."),
)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option(
    "--colour",
    "--color",
    "colour",
    default="",
    help=gettext_noop("The organisation's colour, #rrggbb."),
)
@click.option(
    "--base-url",
    default="/",
    show_default=True,
    help=gettext_noop(
        "Where the site will be served (/, /archive/, https://…/): the redirect maps' target."
    ),
)
def history_site(
    import_id: int, org_slug: str, output: Path, lang: str, colour: str, base_url: str
) -> None:
    setup_django()
    from envol.history import services, texts
    from envol.orgs.services import OrgError, get_organisation
    from envol.portability.models import ArchiveImport

    try:
        org = get_organisation(org_slug)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    archive_import = ArchiveImport.objects.filter(pk=import_id, organisation=org).first()
    if archive_import is None:
        raise click.ClickException(texts.no_such_import(import_id, org_slug))
    started = time.monotonic()
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if interactive:
            click.echo(f"\r{done}/{total}", nl=False, err=True)

    try:
        result = services.build_site(
            archive_import, output, lang=lang, colour=colour, base_url=base_url, progress=progress
        )
    except services.HistoryError as exc:
        raise click.ClickException(str(exc)) from None
    if interactive:
        click.echo(err=True)
    report, checked = result.report, result.colour
    lines = texts.build_summary(
        report.posts,
        str(output),
        time.monotonic() - started,
        report.media_not_kept,
        report.media_missing,
        checked.wanted,
        checked.used,
    )
    for line in lines:
        click.echo(line)


# --- the migration of the posts to Bluesky ----------------------------------------------------


def _choice_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--import, --network, --account and what to take (shared by plan and migrate)."""
    options = [
        click.option(
            "--import",
            "import_id",
            required=True,
            type=int,
            help=gettext_noop("Archive import id."),
        ),
        click.option(
            "--network",
            type=click.Choice(["bluesky"]),
            default="bluesky",
            show_default=True,
            help=gettext_noop(
                "Bluesky only: Mastodon cannot backdate posts (use the archive site)."
            ),
        ),
        click.option(
            "--account",
            "handle",
            required=True,
            help=gettext_noop("The connected account's handle."),
        ),
        click.option(
            "--from", "since", type=click.DateTime(["%Y-%m-%d"]), help=gettext_noop("First day.")
        ),
        click.option(
            "--to", "until", type=click.DateTime(["%Y-%m-%d"]), help=gettext_noop("Last day.")
        ),
        click.option("--replies", is_flag=True, help=gettext_noop("Also replies to others.")),
        click.option("--retweets", is_flag=True, help=gettext_noop("Also retweets (as text).")),
        click.option("--hashtag", default="", help=gettext_noop("Only posts with this hashtag.")),
        click.option("--json", "as_json", is_flag=True, help=gettext_noop("Print JSON.")),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _prepare(
    import_id: int, handle: str, since: Any, until: Any, **flags: Any
) -> tuple[Any, Any, Any]:
    setup_django()
    from envol.history import move_texts, moving
    from envol.migration.services import MigrationError, find_account
    from envol.portability.models import ArchiveImport

    archive = ArchiveImport.objects.select_related("organisation").filter(pk=import_id).first()
    if archive is None:
        raise click.ClickException(str(move_texts.IMPORT_MISSING % {"id": import_id}))
    try:
        account = find_account(archive.organisation, "bluesky", handle)
    except MigrationError as exc:
        raise click.ClickException(str(exc)) from None
    choice = moving.Choice(
        since.date() if since else None,
        until.date() if until else None,
        bool(flags.get("replies")),
        bool(flags.get("retweets")),
        str(flags.get("hashtag") or "").lstrip("#").lower(),
    )
    return archive.organisation, account, choice


@history.command(
    "plan",
    help=gettext_noop(
        "How many posts, parts and images go, and how long it takes within the rate budget: "
        "nothing is sent."
    ),
)
@_choice_options
def history_plan(
    import_id: int, network: str, handle: str, since: Any, until: Any, as_json: bool, **flags: Any
) -> None:
    org, account, choice = _prepare(import_id, handle, since, until, **flags)
    from envol.history import move_texts, moving

    try:
        plan = moving.plan(org, import_id, account, choice)
    except moving.HistoryMoveError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(plan.as_json())
        return
    for line in move_texts.plan_lines(plan):
        click.echo(line)


@history.command(
    "migrate",
    help=gettext_noop(
        "Post the chosen posts to Bluesky with their original dates (the workers, or --wait)."
    ),
)
@_choice_options
@click.option(
    "--wait", is_flag=True, help=gettext_noop("Run here to the end (sleeping through rate limits).")
)
@click.option("--batch-size", type=click.IntRange(1, 200), default=None, hidden=True)
def history_migrate(
    import_id: int,
    network: str,
    handle: str,
    since: Any,
    until: Any,
    as_json: bool,
    wait: bool,
    batch_size: int | None,
    **flags: Any,
) -> None:
    org, account, choice = _prepare(import_id, handle, since, until, **flags)
    from envol.history import move_texts, moving

    try:
        options = {"batch_size": batch_size} if batch_size else {}
        job = moving.create_job(org, import_id, account, choice, options=options)
    except moving.HistoryMoveError as exc:
        raise click.ClickException(str(exc)) from None
    if wait:
        _run_with_progress(job.pk)
        return
    if as_json:
        print_json({"job": job.pk, **moving.status(job)})
    else:
        click.echo(move_texts.created(job.pk, job.total))
        click.echo(str(move_texts.FOLLOW_IT % {"id": job.pk}))


def _run_with_progress(job_id: int) -> None:
    from envol.history import move_texts, moving
    from envol.history.models import HistoryMigration

    run_with_progress(
        HistoryMigration.objects.get(pk=job_id),
        doing=str(move_texts.POSTING),
        waiting=lambda left: str(move_texts.WAITING % {"d": move_texts.duration(left)}),
        status=moving.status,
    )


def _job(job_id: int) -> Any:
    setup_django()
    from envol.history import move_texts
    from envol.history.models import HistoryMigration

    job = HistoryMigration.objects.filter(pk=job_id).first()
    if job is None:
        raise click.ClickException(str(move_texts.JOB_MISSING % {"id": job_id}))
    return job


@history.command(
    "status",
    help=gettext_noop("Where a history migration stands."),
)
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def history_status(job_id: int, as_json: bool) -> None:
    job = _job(job_id)
    from envol.history import moving

    if as_json:
        print_json(moving.status(job))
        return
    click.echo(f"{job.pk}: {job.get_state_display()} ({job.account})")
    for name, value in moving.status(job).items():
        if name != "state":
            click.echo(f"  {name}: {value}")
    if job.last_error:
        click.echo(job.last_error, err=True)


def _change(action: str, job_id: int) -> None:
    job = _job(job_id)
    from envol.history import moving

    operation = {"pause": moving.pause, "resume": moving.resume, "cancel": moving.cancel}
    change_job(job, operation[action], moving.status, moving.HistoryMoveError)


@history.command(
    "pause",
    help=gettext_noop("Stop after the batch in flight; `resume` carries on where it stopped."),
)
@click.argument("job_id", type=int)
def history_pause(job_id: int) -> None:
    _change("pause", job_id)


@history.command(
    "resume",
    help=gettext_noop(
        "Resume a paused (or failed, once the account is reconnected) history migration."
    ),
)
@click.argument("job_id", type=int)
def history_resume(job_id: int) -> None:
    _change("resume", job_id)


@history.command(
    "cancel",
    help=gettext_noop("Stop for good (what was posted stays posted)."),
)
@click.argument("job_id", type=int)
def history_cancel(job_id: int) -> None:
    _change("cancel", job_id)
