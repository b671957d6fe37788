"""`envol leave …`: the public page, the announcement texts and the Bluesky starter pack from the
shell, with the same services as the web pages."""

from __future__ import annotations

from pathlib import Path

import click

from envol.cli.common import setup_django
from envol.cli.i18n import _, gettext_noop, group, ngettext


def _org(slug: str):  # type: ignore[no-untyped-def]
    from envol.orgs.services import OrgError, get_organisation

    try:
        return get_organisation(slug)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None


@group(help=gettext_noop("Leave X well: public page, announcement, starter pack."))
def leave() -> None:
    pass


@leave.command(
    "page", help=gettext_noop('Print the address of the public "where to find us" page.')
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
def leave_page(org_slug: str) -> None:
    setup_django()
    from envol.leaving import services

    org = _org(org_slug)
    click.echo(services.public_url(org))
    if not services.page_of(org).published:
        click.secho(
            _("Not published yet: publish it from the web page 'Leaving X → Public page'."),
            fg="yellow",
            err=True,
        )


@leave.command(
    "announce",
    help=gettext_noop(
        "Print the announcement texts, each post with its count and the network's limit."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option(
    "--network",
    type=click.Choice(["x", "bluesky", "mastodon"]),
    default=None,
    help=gettext_noop("Only this network's texts (default: all)."),
)
def leave_announce(org_slug: str, lang: str, network: str | None) -> None:
    setup_django()
    from envol.leaving import services

    org = _org(org_slug)
    for announcement in services.announcement_kit(org, lang):
        if network and not announcement.kind.startswith(network):
            continue
        click.secho(f"== {announcement.label} ({announcement.kind}, {lang})", bold=True)
        for index, part in enumerate(announcement.parts, start=1):
            status = _("fits") if part.fits else _("TOO LONG")
            click.echo(f"-- {index}/{len(announcement.parts)}  {part.count}/{part.limit} {status}")
            click.echo(part.text)
        click.echo()


@leave.command(
    "starter-pack",
    help=gettext_noop(
        "Create or update the Bluesky list and starter pack (idempotent: re-run to update)."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option(
    "--name", required=True, help=gettext_noop("Name of the starter pack (up to 50 characters).")
)
@click.option(
    "--from-matches",
    "import_id",
    required=True,
    type=int,
    help=gettext_noop("Archive import whose accepted matches fill the pack."),
)
@click.option(
    "--account",
    "handle",
    default=None,
    help=gettext_noop("Bluesky handle, when several are connected."),
)
@click.option("--description", default="", help=gettext_noop("Description shown on Bluesky."))
@click.option(
    "--mastodon-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=gettext_noop("Also write the Mastodon follow import file of the same selection here."),
)
def leave_starter_pack(
    org_slug: str,
    name: str,
    import_id: int,
    handle: str | None,
    description: str,
    mastodon_csv: Path | None,
) -> None:
    setup_django()
    from envol.leaving import services

    org = _org(org_slug)
    try:
        account = services.find_bluesky_account(org, handle)
        selection = services.accepted_matches(org, import_id)
        pack = services.set_starter_pack(org, account, name, description, selection, actor=None)
        report = services.sync_starter_pack(pack)
    except services.LeavingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        _("Starter pack '{name}': {added}, {removed}, {kept}.").format(
            name=pack.name,
            added=ngettext("{n} added", "{n} added", report.created).format(n=report.created),
            removed=ngettext("{n} removed", "{n} removed", report.deleted).format(n=report.deleted),
            kept=ngettext("{n} unchanged", "{n} unchanged", report.kept).format(n=report.kept),
        )
    )
    click.echo(pack.web_url)
    if mastodon_csv is not None:
        mastodon_csv.write_text(services.mastodon_follow_csv(selection), encoding="utf-8")
        click.echo(_("Mastodon follow import file: {path}").format(path=mastodon_csv))
