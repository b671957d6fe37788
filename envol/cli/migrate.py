"""`envol migrate follows|status|pause|resume|cancel`: the follow migration from the shell."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from envol.cli.common import change_job, print_json, run_with_progress, setup_django
from envol.cli.i18n import _, gettext_noop, group, ngettext
from envol.migration import texts

if TYPE_CHECKING:
    from envol.migration.models import MigrationJob


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:d}:{minutes:02d}:{secs:02d}"
    return f"{ngettext('{n} day', '{n} days', days).format(n=days)} {text}" if days else text


@group(
    help=gettext_noop(
        "Follow again, on Bluesky or Mastodon, the accepted matches of an X archive import."
    )
)
def migrate() -> None:
    pass


@migrate.command(
    "follows",
    help=gettext_noop(
        "Create a migration job (and run it with --wait, or hand it to the workers)."
    ),
)
@click.option(
    "--import", "import_id", required=True, type=int, help=gettext_noop("archive import id")
)
@click.option("--network", required=True, type=click.Choice(["bluesky", "mastodon"]))
@click.option(
    "--account", "handle", required=True, help=gettext_noop("the connected account's handle")
)
@click.option(
    "--dry-run", is_flag=True, help=gettext_noop("count and estimate only; follow nobody")
)
@click.option(
    "--wait", is_flag=True, help=gettext_noop("run here to the end (sleeping through rate limits)")
)
@click.option(
    "--json", "as_json", is_flag=True, help=gettext_noop("print the dry run or the job as JSON")
)
@click.option("--batch-size", type=click.IntRange(1, 200), default=None, hidden=True)
def follows(
    import_id: int,
    network: str,
    handle: str,
    dry_run: bool,
    wait: bool,
    as_json: bool,
    batch_size: int | None,
) -> None:
    setup_django()
    from envol.migration import services
    from envol.orgs.accounts import AccountError
    from envol.portability.models import ArchiveImport

    archive = ArchiveImport.objects.select_related("organisation").filter(pk=import_id).first()
    if archive is None:
        raise click.ClickException(texts.IMPORT_MISSING % {"id": import_id})
    org = archive.organisation
    try:
        account = services.find_account(org, network, handle)
        if dry_run:
            estimate = services.dry_run(org, import_id, account, network)
            if as_json:
                print_json(estimate.as_json())
                return
            click.echo(texts.TO_FOLLOW % {"n": estimate.to_follow})
            click.echo(texts.ALREADY % {"n": estimate.already})
            click.echo(texts.UNRESOLVED % {"n": estimate.unresolved})
            if estimate.pending_review:
                click.echo(texts.PENDING_REVIEW % {"n": estimate.pending_review})
            if estimate.rejected:
                click.echo(texts.REJECTED % {"n": estimate.rejected})
            from envol.web.templatetags.envol_format import duration

            click.echo(texts.DURATION % {"d": duration(estimate.seconds)})
            return
        options = {"batch_size": batch_size} if batch_size else {}
        job = services.create_job(org, import_id, account, network, options=options)
    except (services.MigrationError, AccountError) as exc:
        raise click.ClickException(str(exc)) from None
    if not wait:
        services.start(job)
        if as_json:
            print_json({"job": job.pk, **services.status(job)})
        else:
            click.echo(texts.CREATED % {"id": job.pk, "n": job.total})
            click.echo(texts.FOLLOW_IT % {"id": job.pk})
        return
    _run_with_progress(job.pk)


def _run_with_progress(job_id: int) -> None:
    from envol.migration import services
    from envol.migration.models import MigrationJob

    run_with_progress(
        MigrationJob.objects.get(pk=job_id),
        doing=str(texts.FOLLOWING),
        waiting=lambda left: texts.WAITING % {"d": _duration(left + 1)},
        status=services.status,
    )


def _job(job_id: int) -> MigrationJob:
    from envol.migration.models import MigrationJob

    job = MigrationJob.objects.filter(pk=job_id).first()
    if job is None:
        raise click.ClickException(texts.JOB_MISSING % {"id": job_id})
    return job


@migrate.command("status", help=gettext_noop("Where a migration stands."))
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def status(job_id: int, as_json: bool) -> None:
    setup_django()
    from envol.migration import services

    job = _job(job_id)
    if as_json:
        print_json(services.status(job))
        return
    click.echo(f"{job.pk}: {job.get_state_display()} ({job.account})")
    labels = {
        "done": _("followed"),
        "already": _("already followed"),
        "skipped": _("skipped"),
        "failed": _("failed"),
        "pending": _("to do"),
    }
    for name, value in services.status(job).items():
        if name != "state":
            click.echo(f"  {labels.get(name, name)} : {value}")
    if job.resume_at and job.is_active:
        click.echo(texts.RESUMES_AT % {"t": job.resume_at.isoformat(timespec="seconds")})
    if job.last_error:
        click.echo(job.last_error, err=True)


def _change(action: str, job_id: int) -> None:
    setup_django()
    from envol.migration import services

    job = _job(job_id)
    operation = {"pause": services.pause, "resume": services.resume, "cancel": services.cancel}
    change_job(job, operation[action], services.status, services.MigrationError)


@migrate.command(
    "pause",
    help=gettext_noop("Stop after the batch in flight; `resume` carries on where it stopped."),
)
@click.argument("job_id", type=int)
def pause(job_id: int) -> None:
    _change("pause", job_id)


@migrate.command(
    "resume",
    help=gettext_noop("Resume a paused (or failed, once the account is reconnected) migration."),
)
@click.argument("job_id", type=int)
@click.option("--wait", is_flag=True, help=gettext_noop("run here to the end"))
def resume(job_id: int, wait: bool) -> None:
    setup_django()
    from envol.migration.models import JobState

    job = _job(job_id)
    if job.state in (JobState.PAUSED, JobState.FAILED):
        _change("resume", job_id)
    if wait:
        _run_with_progress(job_id)


@migrate.command("cancel", help=gettext_noop("Stop for good (what was followed stays followed)."))
@click.argument("job_id", type=int)
def cancel(job_id: int) -> None:
    _change("cancel", job_id)
