"""`envol history …`: the organisation's post history. `site` builds the static archive site;
the post-history migration to Bluesky adds its commands (plan, migrate, status…) to this group."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from envol.cli.common import setup_django
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
