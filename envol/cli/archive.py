"""`envol archive inspect|import`: read an X archive, or import it into an organisation.

A bad archive prints one line — which file, which line or record, what to do — and exits with
status 1, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from envol.cli.common import cli_language, print_json, setup_django
from envol.cli.i18n import _, gettext_noop, group

if TYPE_CHECKING:
    from envol.archives.errors import ArchiveError
    from envol.portability.models import ArchiveImport

PHASES = {
    "fr": {
        "following": "Abonnements",
        "follower": "Abonnés",
        "block": "Blocages",
        "mute": "Masqués",
        "tweets": "Publications",
    },
    "en": {
        "following": "Following",
        "follower": "Followers",
        "block": "Blocked",
        "mute": "Muted",
        "tweets": "Posts",
    },
}
COUNT_LABELS = {
    "fr": {
        "following": "Abonnements",
        "follower": "Abonnés",
        "block": "Comptes bloqués",
        "mute": "Comptes masqués",
        "tweets": "Publications (tout compris)",
        "retweets": "Retweets",
        "replies": "Réponses",
        "media": "Médias",
        "note_tweets": "Publications longues",
    },
    "en": {
        "following": "Following",
        "follower": "Followers",
        "block": "Blocked accounts",
        "mute": "Muted accounts",
        "tweets": "Posts (all kinds)",
        "retweets": "Retweets",
        "replies": "Replies",
        "media": "Media",
        "note_tweets": "Long posts",
    },
}
PATH = click.Path(exists=False, path_type=Path)


def _fail(error: ArchiveError) -> None:
    click.secho(error.message(cli_language()), fg="red", err=True)
    sys.exit(1)


@group(help=gettext_noop("The X archive: look inside it, import it."))
def archive() -> None:
    pass


@archive.command(
    "inspect",
    help=gettext_noop("Read an X archive (.zip or folder) and tell what it holds; writes nothing."),
)
@click.argument("path", type=PATH)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help=gettext_noop("print account, counts and warnings as JSON"),
)
def inspect_command(path: Path, as_json: bool) -> None:
    setup_django()
    from envol.archives.errors import ArchiveError
    from envol.portability.services import inspect

    language = cli_language()
    try:
        report = inspect(path, language="en" if as_json else language)
    except ArchiveError as error:
        _fail(error)
        return
    if as_json:
        print_json(report)
        return
    account = report["account"]
    click.echo(
        _("@{username} — {name} (X id {id})").format(
            username=account["username"], name=account["display_name"], id=account["id"]
        )
    )
    labels = COUNT_LABELS[language]
    for key, value in report["counts"].items():
        click.echo(f"  {labels[key]:<28} {value:>10,}".replace(",", "\u202f"))
    for warning in report["warnings"]:
        click.secho(f"  ! {warning}", fg="yellow")


@archive.command(
    "import",
    help=gettext_noop(
        "Import an X archive into an organisation: relations, posts, media references."
    ),
)
@click.argument("path", type=PATH)
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option(
    "--json", "as_json", is_flag=True, help=gettext_noop("print the import id and counts as JSON")
)
@click.option(
    "--keep-archive", is_flag=True, help=gettext_noop("keep a copy of the archive in envol's data")
)
@click.option(
    "--keep-media", is_flag=True, help=gettext_noop("copy the media files (they can be large)")
)
def import_command(
    path: Path, org_slug: str, as_json: bool, keep_archive: bool, keep_media: bool
) -> None:
    setup_django()
    from envol.archives.errors import ArchiveError
    from envol.orgs.services import OrgError, get_organisation
    from envol.portability.services import import_archive

    try:
        organisation = get_organisation(org_slug)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    language = cli_language()
    try:
        with _RichProgress(language, enabled=not as_json) as progress:
            archive_import = import_archive(
                organisation,
                path,
                keep_archive=keep_archive,
                keep_media=keep_media,
                progress=progress,
            )
    except ArchiveError as error:
        _fail(error)
        return
    if as_json:
        print_json({"import_id": archive_import.pk, "counts": archive_import.counts})
        return
    _print_summary(archive_import, language)


class _RichProgress:
    """Feeds a rich progress bar from the service's (phase, done, total) callback."""

    def __init__(self, language: str, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._labels = PHASES[language]
        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
            transient=True,  # the summary table replaces it; an error stands alone
        )
        self._task = self._bar.add_task(self._labels["following"], total=None)

    def __call__(self, phase: str, done: int, total: int) -> None:
        self._bar.update(
            self._task,
            description=self._labels.get(phase, phase),
            completed=done,
            total=total or None,
        )

    def __enter__(self) -> _RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


def _print_summary(archive_import: ArchiveImport, language: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from envol.portability.services import warning_messages

    french = language == "fr"
    labels = COUNT_LABELS[language]
    account = archive_import.source_account
    table = Table(title=f"Import {archive_import.pk} — @{account.username if account else '?'}")
    table.add_column("Données" if french else "Data")
    table.add_column("Dans l'archive" if french else "In the archive", justify="right")
    table.add_column("Nouveau" if french else "New", justify="right")
    for key, value in archive_import.counts.items():
        added = archive_import.added.get(key)
        table.add_row(labels.get(key, key), f"{value:,}", "" if added is None else f"{added:,}")
    console = Console()
    console.print(table)
    if archive_import.first_post_at and archive_import.last_post_at:
        first = archive_import.first_post_at.date().isoformat()
        last = archive_import.last_post_at.date().isoformat()
        console.print(f"{'Publications du' if french else 'Posts from'} {first} → {last}")
    for warning in warning_messages(archive_import, language):
        console.print(f"[yellow]! {warning}[/yellow]")
