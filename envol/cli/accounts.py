"""`envol accounts …`: connect, list and check an organisation's network accounts."""

from __future__ import annotations

import click

from envol.cli.common import read_secret, setup_django


@click.group()
def accounts() -> None:
    """Connected network accounts."""


@accounts.group("connect")
def connect() -> None:
    """Connect an account (credentials are stored encrypted)."""


@connect.command("bluesky")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option("--handle", required=True, help="e.g. ville-exemple.fr")
@click.option("--service", default=None, help="The account's server (default: bsky.social).")
def connect_bluesky(org_slug: str, handle: str, service: str | None) -> None:
    """Connect with an app password, read from stdin or a hidden prompt (never from argv)."""
    setup_django()
    from envol.orgs.accounts import AccountError
    from envol.orgs.accounts import connect_bluesky as connect_account
    from envol.orgs.services import OrgError, get_organisation

    try:
        org = get_organisation(org_slug)
        password = read_secret("App password")
        account = connect_account(org, handle, password, service)
    except (OrgError, AccountError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Connected {account.handle} ({account.remote_id}) to {org.slug}.")


@connect.command("mastodon")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option("--instance", required=True, help="e.g. https://social.numerique.gouv.fr")
def connect_mastodon(org_slug: str, instance: str) -> None:
    """Authorise envol on a Mastodon server: open the printed address, approve, paste the code."""
    setup_django()
    from envol.orgs import mastodon_accounts
    from envol.orgs.accounts import AccountError
    from envol.orgs.services import OrgError, get_organisation

    try:
        org = get_organisation(org_slug)
        pending = mastodon_accounts.start_out_of_band(instance)
        click.echo("Open this address, approve envol, then paste the code shown:")
        click.echo(pending.authorize_url)
        code = read_secret("Code")
        account = mastodon_accounts.finish(org, pending, code)
    except (OrgError, AccountError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Connected {account.handle} to {org.slug}.")


@accounts.command("list")
@click.option("--org", "org_slug", default=None, help="Only this organisation.")
def list_accounts(org_slug: str | None) -> None:
    """List connected accounts (never their credentials)."""
    setup_django()
    from envol.orgs.models import ConnectedAccount

    rows = ConnectedAccount.objects.select_related("organisation").order_by(
        "organisation__slug", "network", "handle"
    )
    if org_slug:
        rows = rows.filter(organisation__slug=org_slug)
    for a in rows:
        click.echo(f"{a.organisation.slug}\t{a.network}\t{a.handle}\t{a.status}\t{a.instance_url}")


@accounts.command("check")
@click.option("--org", "org_slug", required=True)
@click.option("--handle", required=True)
def check_account(org_slug: str, handle: str) -> None:
    """Check that an account's credentials still work."""
    setup_django()
    from envol.orgs.accounts import recheck
    from envol.orgs.models import ConnectedAccount

    account = ConnectedAccount.objects.filter(organisation__slug=org_slug, handle=handle).first()
    if account is None:
        raise click.ClickException(f"No account {handle} in {org_slug}: see `envol accounts list`.")
    recheck(account)
    if account.status != ConnectedAccount.Status.OK:
        raise click.ClickException(f"{handle} needs reconnecting: {account.status_detail}")
    click.echo(f"{handle}: OK")
