"""`envol relay …`: mirror a website's feed, a Bluesky account or a Mastodon account to the
organisation's other accounts (add, list, pause, resume, run now)."""

from __future__ import annotations

from typing import Any

import click

from envol.cli.common import setup_django
from envol.cli.i18n import gettext_noop, group


@group(
    help=gettext_noop(
        "Relays: a feed or an account published again on the organisation's accounts."
    )
)
def relay() -> None:
    pass


def _org(slug: str) -> Any:
    from envol.orgs.services import OrgError, get_organisation

    try:
        return get_organisation(slug)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None


def _relay(relay_id: int) -> Any:
    from envol.relays import texts
    from envol.relays.models import Relay

    found = Relay.objects.select_related("organisation").filter(pk=relay_id).first()
    if found is None:
        raise click.ClickException(texts.no_relay(relay_id))
    return found


@relay.command(
    "add",
    help=gettext_noop("Create a relay (or, with --dry-run, show what it would publish)."),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option("--source", "kind", required=True, type=click.Choice(["rss", "bluesky", "mastodon"]))
@click.option(
    "--from", "source", required=True, help=gettext_noop("The feed's URL or the account's handle.")
)
@click.option(
    "--to",
    "targets",
    required=True,
    help=gettext_noop("Comma-separated account handles (or networks)."),
)
@click.option(
    "--template",
    default="",
    help=gettext_noop(
        "e.g. '{title}\\n\\n{link}' ({text} {title} {link} {url} {author} {source})."
    ),
)
@click.option("--max-per-hour", default=4, show_default=True, type=click.IntRange(1, 500))
@click.option(
    "--backfill",
    default=0,
    show_default=True,
    type=click.IntRange(0, 50),
    help=gettext_noop("Relay the last K items now (0: only new ones)."),
)
@click.option(
    "--interval",
    "interval_minutes",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1440),
    help=gettext_noop("Minutes between polls."),
)
@click.option(
    "--dry-run",
    is_flag=True,
    help=gettext_noop("Print what the first poll would publish; save nothing."),
)
def relay_add(
    org_slug: str,
    kind: str,
    source: str,
    targets: str,
    template: str,
    max_per_hour: int,
    backfill: int,
    interval_minutes: int,
    dry_run: bool,
) -> None:
    setup_django()
    from envol.relays import services, texts

    org = _org(org_slug)
    wanted = [t.strip().lstrip("@") for t in targets.split(",") if t.strip()]
    accounts = [
        a for a in services.connectable_accounts(org) if a.network in wanted or a.handle in wanted
    ]
    missing = [t for t in wanted if not any(t in (a.network, a.handle) for a in accounts)]
    if missing or not accounts:
        raise click.ClickException(texts.no_account(missing or wanted, org.slug))
    template = template.replace("\\n", "\n")
    options: dict[str, Any] = {
        "max_per_hour": max_per_hour,
        "backfill": backfill,
        "interval_minutes": interval_minutes,
    }
    try:
        if dry_run:
            draft, relay_targets = services.build(
                org, kind, source, [(a, template) for a in accounts], **options
            )
            for line in texts.dry_run(services.dry_run(draft, relay_targets)):
                click.echo(line)
            return
        made = services.create(org, kind, source, [(a, template) for a in accounts], **options)
    except services.RelayError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(texts.created(made))


@relay.command(
    "list",
    help=gettext_noop(
        "The organisation's relays: state, last and next poll, relayed today, failures."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
def relay_list(org_slug: str) -> None:
    setup_django()
    from envol.relays import services, texts

    org = _org(org_slug)
    if services.paused_all(org.pk):
        click.echo(texts.paused_all())
    rows = services.relays_of(org)
    if not rows:
        click.echo(texts.no_relays(org.slug))
    for row in rows:
        click.echo(texts.row(row))


@relay.command(
    "pause",
    help=gettext_noop("Stop a relay (it neither reads nor publishes until resumed)."),
)
@click.argument("relay_id", type=int)
def relay_pause(relay_id: int) -> None:
    setup_django()
    from envol.relays import services, texts

    found = _relay(relay_id)
    click.echo(texts.paused(found, services.pause(found)))


@relay.command(
    "resume",
    help=gettext_noop(
        "Start a paused relay again (only new items: the age rule skips what is too old)."
    ),
)
@click.argument("relay_id", type=int)
def relay_resume(relay_id: int) -> None:
    setup_django()
    from envol.relays import services, texts

    found = _relay(relay_id)
    click.echo(texts.resumed(found, services.resume(found)))


@relay.command(
    "run",
    help=gettext_noop(
        "Poll a relay now, here, and publish what it hands over (a worker's step, run once)."
    ),
)
@click.argument("relay_id", type=int)
def relay_run(relay_id: int) -> None:
    setup_django()
    from envol.relays import services, texts

    found = _relay(relay_id)
    try:
        result = services.run_now(found)
    except services.RelayBusy:
        raise click.ClickException(texts.busy(found)) from None
    click.echo(texts.ran(*result))


@relay.command(
    "move",
    help=gettext_noop(
        "The source moved (a feed's new URL, an account on another server): keep every item "
        "seen, relay only what is published after the move."
    ),
)
@click.argument("relay_id", type=int)
@click.option("--from", "source", required=True, help=gettext_noop("The source's new address."))
def relay_move(relay_id: int, source: str) -> None:
    setup_django()
    from envol.relays import services, texts

    found = _relay(relay_id)
    try:
        moved = services.move_source(found, source)
    except services.RelayError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(texts.moved(moved))
