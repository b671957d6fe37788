"""`envol post`: compose once, publish to several networks at once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from envol.cli.common import setup_django
from envol.cli.i18n import _, command, gettext_noop, ngettext


@command(
    help=gettext_noop("Publish TEXT (or - for stdin) to the organisation's connected accounts.")
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("Organisation slug."))
@click.option(
    "--to",
    "targets",
    required=True,
    help=gettext_noop("Comma-separated networks (bluesky,mastodon) or account handles."),
)
@click.option(
    "--image",
    "images",
    multiple=True,
    type=click.Path(path_type=Path),
    help=gettext_noop("An image to attach (repeatable); each needs an --alt, in the same order."),
)
@click.option(
    "--alt", "alts", multiple=True, help=gettext_noop("Alternative text of the image at this rank.")
)
@click.option("--cw", default="", help=gettext_noop("Content warning (Mastodon)."))
@click.option("--lang", default="fr", show_default=True)
@click.option(
    "--numbering/--no-numbering",
    default=True,
    show_default=True,
    help=gettext_noop("Add 1/n to the parts of a thread."),
)
@click.option(
    "--dry-run", is_flag=True, help=gettext_noop("Show each network's variant; publish nothing.")
)
@click.option(
    "--short-links",
    is_flag=True,
    help=gettext_noop(
        "Give each network's variant its own short link (ENVOL_PUBLIC_URL/l/…) per web address."
    ),
)
@click.option(
    "--campaign", default="", help=gettext_noop("Campaign of the short links (created if new).")
)
@click.option(
    "--utm",
    is_flag=True,
    help=gettext_noop("Add utm_source/utm_medium/utm_campaign to the targets."),
)
@click.option(
    "--schedule",
    default="",
    metavar="'YYYY-MM-DD HH:MM'",
    help=gettext_noop(
        "Go out at this time of the organisation's time zone, through the desk (needs --as)."
    ),
)
@click.option(
    "--submit", is_flag=True, help=gettext_noop("Send the post to the desk's review (needs --as).")
)
@click.option(
    "--as", "author_email", default="", help=gettext_noop("The member who writes it (email).")
)
@click.argument("text")
def post(
    org_slug: str,
    targets: str,
    images: tuple[Path, ...],
    alts: tuple[str, ...],
    cw: str,
    lang: str,
    numbering: bool,
    dry_run: bool,
    short_links: bool,
    campaign: str,
    utm: bool,
    schedule: str,
    submit: bool,
    author_email: str,
    text: str,
) -> None:
    setup_django()
    from django.db import transaction

    from envol.orgs.models import ConnectedAccount
    from envol.orgs.services import OrgError, get_organisation
    from envol.publishing import services

    if text == "-":
        text = sys.stdin.read()
    if len(alts) != len(images):
        raise click.UsageError(
            _(
                "{images} image(s) but {alts} --alt: every image needs an alternative text "
                "(accessibility is mandatory for public bodies)."
            ).format(images=len(images), alts=len(alts))
        )
    try:
        org = get_organisation(org_slug)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    wanted = [t.strip() for t in targets.split(",") if t.strip()]
    accounts = [
        a
        for a in ConnectedAccount.objects.filter(organisation=org)
        if a.network in wanted or a.handle in wanted
    ]
    missing = [t for t in wanted if not any(t in (a.network, a.handle) for a in accounts)]
    if missing:
        raise click.ClickException(
            _(
                "No connected account for {targets} in {org}: "
                "see `envol accounts list --org {org}`."
            ).format(targets=", ".join(missing), org=org.slug)
        )
    if schedule or submit:
        if dry_run:
            raise click.UsageError(_("--dry-run shows variants; it does not go with the desk."))
        _to_the_desk(
            org,
            accounts,
            text,
            images,
            alts,
            cw,
            lang,
            numbering,
            short_links,
            schedule,
            submit,
            author_email,
        )
        return
    specs = [services.ImageSpec(path, alt) for path, alt in zip(images, alts, strict=True)]
    links = _variant_links(org, short_links, campaign, utm, dry_run)
    try:
        if dry_run:
            known = services.instance_capabilities(accounts)
            variants = services.plan(
                text,
                accounts,
                content_warning=cw,
                numbering=numbering,
                capabilities=known,
                rewrite=links.rewrite if links else None,
            )
            for variant in variants:
                click.secho(
                    f"{variant.account.get_network_display()} {variant.account.handle} : "
                    + _parts_and_limit(len(variant.parts), variant.limit, variant.unit),
                    bold=True,
                )
                for index, (part, count) in enumerate(
                    zip(variant.parts, variant.counts, strict=True), start=1
                ):
                    click.echo(f"  [{index}] ({count}/{variant.limit}) {part}")
            return
        with transaction.atomic():
            created = services.create_post(
                org,
                text,
                accounts,
                content_warning=cw,
                lang=lang,
                images=specs,
                numbering=numbering,
                rewrite=links.rewrite if links else None,
            )
            if links:
                links.attach(created)
    except services.PublishingError as exc:
        raise click.ClickException(str(exc)) from None
    outcomes = services.publish(created)
    failed = False
    for outcome in outcomes:
        label = f"{outcome.account.get_network_display()} {outcome.account.handle}"
        if outcome.error:
            failed = True
            click.secho(
                _("{label}: FAILED — {error}").format(label=label, error=outcome.error),
                fg="red",
                err=True,
            )
        else:
            for url in outcome.urls:
                click.echo(f"{label}: {url}")
    if failed:
        raise click.ClickException(
            _(
                "Post {id} was not published everywhere; run `envol post-retry {id}` to try "
                "again (nothing already published will be sent twice)."
            ).format(id=created.pk)
        )


def _to_the_desk(
    org: Any,
    accounts: list[Any],
    text: str,
    images: tuple[Path, ...],
    alts: tuple[str, ...],
    cw: str,
    lang: str,
    numbering: bool,
    short_links: bool,
    schedule: str,
    submit: bool,
    author_email: str,
) -> None:
    """`--schedule`/`--submit`: the post goes through the desk's workflow as the member
    `--as`, under the same rules as the web (approval required, nobody approves their own)."""
    from datetime import datetime

    from envol.publishing import workflow
    from envol.publishing.compose import NewImage, PostInput, local_to_utc, save_post

    if not author_email:
        raise click.UsageError(
            _("--schedule and --submit need --as EMAIL (the member who writes).")
        )
    member = org.memberships.filter(user__email__iexact=author_email).select_related("user")
    found = member.first()
    if found is None:
        raise click.ClickException(f"{author_email} is not a member of {org.slug}.")
    planned = None
    try:
        if schedule:
            try:
                moment = datetime.strptime(schedule.strip(), "%Y-%m-%d %H:%M")
            except ValueError:
                raise click.UsageError(_("--schedule takes 'YYYY-MM-DD HH:MM'.")) from None
            planned = local_to_utc(org, moment.date(), moment.time())
        data = PostInput(
            text=text,
            targets=accounts,
            content_warning=cw,
            lang=lang,
            numbering=numbering,
            use_short_links=short_links,
            planned_at=planned,
            new_images=[
                NewImage(path.name, path.read_bytes(), alt)
                for path, alt in zip(images, alts, strict=True)
            ],
        )
        made = save_post(org, found.user, data)
        if submit:
            workflow.submit_for_review(made, found.user)
            click.echo(_("Post {id} submitted for review.").format(id=made.pk))
        else:
            workflow.publish(made, found.user)
            click.echo(_("Post {id} scheduled.").format(id=made.pk))
    except workflow.DeskError as exc:
        raise click.ClickException(str(exc)) from None


def _variant_links(org: Any, wanted: bool, campaign: str, utm: bool, dry_run: bool) -> Any:
    """The short-link rewriter of `--short-links` (insights app), or None."""
    if not wanted:
        if campaign or utm:
            raise click.UsageError(_("--campaign and --utm go with --short-links."))
        return None
    from envol.insights.services import save_campaign
    from envol.insights.shortlinks import VariantLinks

    found = None
    if campaign:
        found = (
            org.campaigns.filter(name=campaign).first() if dry_run else save_campaign(org, campaign)
        )
    return VariantLinks(org, campaign=found, utm=utm, dry_run=dry_run)


@command(
    "post-retry",
    help=gettext_noop(
        "Send again what a post could not publish (exactly once: published parts are skipped)."
    ),
)
@click.argument("post_id", type=int)
def post_retry(post_id: int) -> None:
    setup_django()
    from envol.publishing import services
    from envol.publishing.models import Post

    found = Post.objects.filter(pk=post_id).first()
    if found is None:
        raise click.ClickException(_("No post {id}.").format(id=post_id))
    for outcome in services.publish(found):
        label = f"{outcome.account.get_network_display()} {outcome.account.handle}"
        click.echo(f"{label}: {outcome.error or ' '.join(outcome.urls)}")


def _parts_and_limit(parts: int, limit: int, unit: str) -> str:
    """ "2 parts, limit 300 graphemes": counts agree with their words (ngettext)."""
    text = ngettext("{n} part", "{n} parts", parts).format(n=parts)
    if unit == "weighted":
        return text + ", " + _("limit {limit} (weighted characters)").format(limit=limit)
    return (
        text
        + ", "
        + ngettext("limit {limit} grapheme", "limit {limit} graphemes", limit).format(limit=limit)
    )
