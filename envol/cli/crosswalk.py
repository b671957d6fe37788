"""`envol crosswalk import|forget|export` and `envol match`: the crosswalk from the shell."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from envol.cli.common import print_json, setup_django
from envol.cli.i18n import _, command, format_count, gettext_noop, group, ngettext


@group(
    help=gettext_noop(
        "The crosswalk of identities: X accounts linked to Bluesky and Mastodon accounts."
    )
)
def crosswalk() -> None:
    pass


@crosswalk.command(
    "import",
    help=gettext_noop(
        "Import a CSV or JSON Lines file of identity links (see the README for the columns)."
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help=gettext_noop("dataset name, e.g. openportability"))
@click.option("--confidence", default=0.8, show_default=True, type=float)
@click.option("--json", "as_json", is_flag=True, help=gettext_noop("print the summary as JSON"))
def import_command(file: Path, source: str, confidence: float, as_json: bool) -> None:
    setup_django()
    from envol.crosswalk.services import DatasetError, SourceNameError, import_dataset

    try:
        if as_json or file.stat().st_size < 5_000_000:
            summary = import_dataset(file, source, confidence, on_resume=_say_resumed(file))
        else:
            summary = _import_with_progress(file, source, confidence)
    except (DatasetError, SourceNameError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(summary.as_json())
        return
    click.echo(
        ", ".join(
            [
                ngettext("{n} new link", "{n} new links", summary.imported),
                ngettext("{m} updated", "{m} updated", summary.updated),
                ngettext("{r} row rejected", "{r} rows rejected", summary.rejected),
            ]
        ).format(n=summary.imported, m=summary.updated, r=summary.rejected)
    )
    for error in summary.errors[:20]:
        click.echo(
            "  "
            + _("{file}, line {line}: {reason}").format(
                file=file.name, line=error["row"], reason=error["reason"]
            ),
            err=True,
        )
    if summary.rejected > 20:
        more = summary.rejected - 20
        click.echo(
            "  " + _("… and {n} more (use --json for the list)").format(n=more),
            err=True,
        )


def _say_resumed(file: Path) -> Callable[[int], None]:
    def say(line: int) -> None:
        click.echo(
            _("{file}: an earlier import of this file stopped; resuming after line {line}.").format(
                file=file.name, line=format_count(line)
            ),
            err=True,
        )

    return say


def _import_with_progress(file: Path, source: str, confidence: float) -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from envol.crosswalk.services import import_dataset

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(file.name, total=file.stat().st_size)
        summary = import_dataset(
            file,
            source,
            confidence,
            progress=lambda done: bar.update(task, completed=done),
            on_resume=_say_resumed(file),
        )
        bar.update(task, completed=file.stat().st_size)
    return summary


@crosswalk.command(
    "forget",
    help=gettext_noop(
        "Remove everything one source asserted (takedown); links others also assert remain."
    ),
)
@click.option("--source", required=True, help=gettext_noop("the dataset (or source) to remove"))
def forget_command(source: str) -> None:
    setup_django()
    from envol.crosswalk.services import SourceNameError, forget_source

    try:
        removed = forget_source(source)
    except SourceNameError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        ngettext("{n} observation removed", "{n} observations removed", removed).format(n=removed)
    )


@command(
    "match",
    help=gettext_noop(
        "Match an archive import's relations to Bluesky or Mastodon accounts via the crosswalk."
    ),
)
@click.option(
    "--import", "import_id", required=True, type=int, help=gettext_noop("archive import id")
)
@click.option("--network", required=True, type=click.Choice(["bluesky", "mastodon"]))
@click.option("--kind", default="following", type=click.Choice(["following", "follower"]))
@click.option("--json", "as_json", is_flag=True, help=gettext_noop("print the totals as JSON"))
def match(import_id: int, network: str, kind: str, as_json: bool) -> None:
    setup_django()
    from envol.crosswalk.matching import compute_matches
    from envol.portability.models import ArchiveImport

    archive = ArchiveImport.objects.filter(pk=import_id).first()
    if archive is None or archive.source_account_id is None:
        raise click.ClickException(
            _(
                "No finished archive import {id}: list them in the web interface "
                "or import one with `envol archive import`."
            ).format(id=import_id)
        )
    summary = compute_matches(archive, network, kind, in_parts=True)
    if as_json:
        print_json(summary.as_json())
        return
    bands = summary.by_band
    click.echo(
        _(
            "{relations} relations, {matched} matched: {auto} automatic, {review} to review, "
            "{none} without a good candidate"
        ).format(
            relations=summary.relations,
            matched=summary.matched,
            auto=bands["auto"],
            review=bands["review"],
            none=bands["none"],
        )
    )


@crosswalk.command(
    "export",
    help=gettext_noop("Write the accepted matches: Mastodon's follow-import CSV, or Bluesky DIDs."),
)
@click.option(
    "--import", "import_id", required=True, type=int, help=gettext_noop("archive import id")
)
@click.option("--network", required=True, type=click.Choice(["bluesky", "mastodon"]))
@click.option("--format", "fmt", required=True, type=click.Choice(["mastodon-csv", "csv", "json"]))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_command(import_id: int, network: str, fmt: str, output: Path | None) -> None:
    setup_django()
    from envol.crosswalk.exports import ExportError, export
    from envol.portability.models import ArchiveImport

    archive = ArchiveImport.objects.filter(pk=import_id).first()
    if archive is None:
        raise click.ClickException(_("No archive import {id}.").format(id=import_id))
    try:
        content, _type, name = export(archive, network, fmt)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output is None:
        sys.stdout.write(content)
    else:
        output.write_text(content, encoding="utf-8")
        click.echo(_("{path} written ({name})").format(path=output, name=name), err=True)
