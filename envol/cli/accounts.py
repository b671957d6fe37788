"""`envol accounts …`: connect, list and check an organisation's network accounts."""

from __future__ import annotations

import click

from envol.cli.common import read_secret, setup_django
from envol.cli.i18n import _, gettext_noop, group


@group(help=gettext_noop("Connected network accounts."))
def accounts() -> None:
    pass


@accounts.group(
    "connect", help=gettext_noop("Connect an account (credentials are stored encrypted).")
)
def connect() -> None:
    pass


@connect.command(
    "bluesky",
    help=gettext_noop(
        "Connect with an app password, read from stdin or a hidden prompt (never from argv)."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option("--handle", required=True, help=gettext_noop("e.g. ville-exemple.fr"))
@click.option(
    "--service", default=None, help=gettext_noop("The account's server (default: bsky.social).")
)
def connect_bluesky(org_slug: str, handle: str, service: str | None) -> None:
    setup_django()
    from envol.orgs.accounts import AccountError
    from envol.orgs.accounts import connect_bluesky as connect_account
    from envol.orgs.services import OrgError, get_organisation

    try:
        org = get_organisation(org_slug)
        password = read_secret(_("App password"))
        account = connect_account(org, handle, password, service)
    except (OrgError, AccountError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        _("Connected {handle} ({id}) to {org}.").format(
            handle=account.handle, id=account.remote_id, org=org.slug
        )
    )


@connect.command(
    "mastodon",
    help=gettext_noop(
        "Authorise envol on a Mastodon server: open the printed address, approve, paste the code."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option(
    "--instance", required=True, help=gettext_noop("e.g. https://social.numerique.gouv.fr")
)
def connect_mastodon(org_slug: str, instance: str) -> None:
    setup_django()
    from envol.orgs import mastodon_accounts
    from envol.orgs.accounts import AccountError
    from envol.orgs.services import OrgError, get_organisation

    try:
        org = get_organisation(org_slug)
        pending = mastodon_accounts.start_out_of_band(instance)
        click.echo(_("Open this address, approve envol, then paste the code shown:"))
        click.echo(pending.authorize_url)
        code = read_secret(_("Code"))
        account = mastodon_accounts.finish(org, pending, code)
    except (OrgError, AccountError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Connected {handle} to {org}.").format(handle=account.handle, org=org.slug))


@accounts.command("list", help=gettext_noop("List connected accounts (never their credentials)."))
@click.option("--org", "org_slug", default=None, help=gettext_noop("Only this organisation."))
def list_accounts(org_slug: str | None) -> None:
    setup_django()
    from envol.orgs.models import ConnectedAccount

    rows = ConnectedAccount.objects.select_related("organisation").order_by(
        "organisation__slug", "network", "handle"
    )
    if org_slug:
        rows = rows.filter(organisation__slug=org_slug)
    for a in rows:
        click.echo(f"{a.organisation.slug}\t{a.network}\t{a.handle}\t{a.status}\t{a.instance_url}")


@accounts.command("check", help=gettext_noop("Check that an account's credentials still work."))
@click.option("--org", "org_slug", required=True)
@click.option("--handle", required=True)
def check_account(org_slug: str, handle: str) -> None:
    setup_django()
    from envol.orgs.accounts import recheck
    from envol.orgs.models import ConnectedAccount

    account = ConnectedAccount.objects.filter(organisation__slug=org_slug, handle=handle).first()
    if account is None:
        raise click.ClickException(
            _("No account {handle} in {org}: see `envol accounts list`.").format(
                handle=handle, org=org_slug
            )
        )
    recheck(account)
    if account.status != ConnectedAccount.Status.OK:
        raise click.ClickException(
            _("{handle} needs reconnecting: {detail}").format(
                handle=handle, detail=account.status_detail
            )
        )
    click.echo(_("{handle}: OK").format(handle=handle))
