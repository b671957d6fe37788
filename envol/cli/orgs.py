"""`envol org …` and `envol user …`: organisations and their members from the shell."""

from __future__ import annotations

import click

from envol.cli.common import read_secret, setup_django


@click.group()
def org() -> None:
    """Organisations."""


@org.command("create")
@click.argument("slug")
@click.option("--name", required=True, help='Display name, e.g. "Ville de Rennes".')
@click.option(
    "--kind",
    default="city",
    show_default=True,
    type=click.Choice(
        ["city", "region", "university", "ministry", "agency", "association", "person"]
    ),
)
@click.option("--website", default="", help="Its own domain, e.g. https://www.ville.fr")
def org_create(slug: str, name: str, kind: str, website: str) -> None:
    """Create an organisation."""
    setup_django()
    from envol.orgs.services import OrgError, create_organisation

    try:
        created = create_organisation(slug, name, kind, website=website)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created organisation {created.slug} ({created.name}).")


@org.command("list")
def org_list() -> None:
    """List organisations."""
    setup_django()
    from envol.orgs.models import Organisation

    for o in Organisation.objects.order_by("slug"):
        click.echo(f"{o.slug}\t{o.kind}\t{o.name}")


@click.group()
def user() -> None:
    """People and their roles."""


@user.command("create")
@click.argument("email")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option(
    "--role",
    default="viewer",
    show_default=True,
    type=click.Choice(["admin", "editor", "reviewer", "viewer"]),
)
def user_create(email: str, org_slug: str, role: str) -> None:
    """Create a user (or update their role); the password is read from stdin or a prompt."""
    setup_django()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from envol.orgs.services import OrgError, add_member, get_organisation

    try:
        organisation = get_organisation(org_slug)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    password = read_secret("Password", confirm=True)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise click.ClickException(" ".join(exc.messages)) from None
    membership = add_member(organisation, email, role, password=password)
    click.echo(f"{membership.user.get_username()} is {role} of {organisation.slug}.")
