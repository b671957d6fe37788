"""`envol org …` and `envol user …`: organisations and their members from the shell."""

from __future__ import annotations

import click

from envol.cli.common import read_secret, setup_django
from envol.cli.i18n import _, gettext_noop, group


@group(help=gettext_noop("Organisations."))
def org() -> None:
    pass


@org.command("create", help=gettext_noop("Create an organisation."))
@click.argument("slug")
@click.option("--name", required=True, help=gettext_noop('Display name, e.g. "Ville de Rennes".'))
@click.option(
    "--kind",
    default="city",
    show_default=True,
    type=click.Choice(
        ["city", "region", "university", "ministry", "agency", "association", "person"]
    ),
)
@click.option(
    "--website", default="", help=gettext_noop("Its own domain, e.g. https://www.ville.fr")
)
def org_create(slug: str, name: str, kind: str, website: str) -> None:
    setup_django()
    from envol.orgs.services import OrgError, create_organisation

    try:
        created = create_organisation(slug, name, kind, website=website)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        _("Created organisation {slug} ({name}).").format(slug=created.slug, name=created.name)
    )


@org.command("list", help=gettext_noop("List organisations."))
def org_list() -> None:
    setup_django()
    from envol.orgs.models import Organisation

    for o in Organisation.objects.order_by("slug"):
        click.echo(f"{o.slug}\t{o.kind}\t{o.name}")


@group(help=gettext_noop("People and their roles."))
def user() -> None:
    pass


@user.command(
    "create",
    help=gettext_noop(
        "Create a user (or update their role); the password is read from stdin or a prompt."
    ),
)
@click.argument("email")
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option(
    "--role",
    default="viewer",
    show_default=True,
    type=click.Choice(["admin", "editor", "reviewer", "viewer"]),
)
def user_create(email: str, org_slug: str, role: str) -> None:
    setup_django()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from envol.orgs.services import OrgError, add_member, get_organisation

    try:
        organisation = get_organisation(org_slug)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    password = read_secret(_("Password"), confirm=True)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise click.ClickException(" ".join(exc.messages)) from None
    membership = add_member(organisation, email, role, password=password)
    click.echo(
        _("{user} is {role} of {org}.").format(
            user=membership.user.get_username(),
            role=membership.get_role_display(),
            org=organisation.slug,
        )
    )
