"""`envol crosswalk subscribe|pull|subscriptions`: the crosswalk shared between instances, and
`envol people invite`: invitations to open a personal space (ENVOL_SIGNUP=invite)."""

from __future__ import annotations

import click

from envol.cli.common import setup_django
from envol.cli.i18n import _, command, gettext_noop, group


@command(
    "subscribe",
    help=gettext_noop(
        "Subscribe to another envol instance's public crosswalk feed, and pull it once."
    ),
)
@click.argument("url")
@click.option(
    "--source", required=True, help=gettext_noop("name of the dataset the links are recorded under")
)
@click.option("--confidence", default=0.9, show_default=True, type=float)
def subscribe(url: str, source: str, confidence: float) -> None:
    setup_django()
    from django.utils.translation import gettext as _

    from envol.crosswalk.services import SourceNameError
    from envol.sharing import services

    try:
        subscription = services.subscribe(url, source, confidence)
        result = services.pull_now(subscription)
    except (services.FeedError, SourceNameError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        _("Subscribed to %(url)s as %(source)s: %(added)d links added, %(removed)d removed.")
        % {
            "url": subscription.url,
            "source": subscription.source,
            "added": result.added,
            "removed": result.removed,
        }
    )


@command(
    "pull",
    help=gettext_noop(
        "Pull what changed in the subscribed feeds now (the workers also pull them on schedule)."
    ),
)
@click.option("--source", default="", help=gettext_noop("only this subscription (default: all)"))
def pull(source: str) -> None:
    setup_django()
    from django.utils.translation import gettext as _

    from envol.crosswalk.services import dataset_source
    from envol.sharing import services
    from envol.sharing.models import Subscription

    failed = False
    subscriptions = Subscription.objects.order_by("pk")
    if source:
        subscriptions = subscriptions.filter(source=dataset_source(source))
    for subscription in subscriptions:
        try:
            result = services.pull_now(subscription)
        except services.FeedError as exc:
            click.echo(str(exc), err=True)
            failed = True
            continue
        click.echo(
            _("%(source)s: %(added)d links added, %(removed)d removed.")
            % {"source": subscription.source, "added": result.added, "removed": result.removed}
        )
    if failed:
        raise SystemExit(1)


@command(
    "subscriptions",
    help=gettext_noop("List the feeds this instance subscribes to."),
)
def subscriptions() -> None:
    setup_django()
    from envol.sharing.models import Subscription

    for s in Subscription.objects.order_by("pk"):
        pulled = _("cursor {cursor}").format(cursor=s.cursor)
        state = s.last_error or (pulled if s.last_pulled_at else _("never pulled"))
        confidence = _("confidence {value}").format(value=s.confidence)
        click.echo(f"{s.source}\t{s.url}\t{confidence}\t{state}")


@group(help=gettext_noop("Personal spaces (people who sign in with Bluesky or Mastodon)."))
def people() -> None:
    pass


@people.command(
    "invite",
    help=gettext_noop("Print invitation links (one personal space each), for ENVOL_SIGNUP=invite."),
)
@click.option("--count", default=1, show_default=True, type=click.IntRange(1, 1000))
@click.option("--note", default="", help=gettext_noop("who it is for (kept with the invitation)"))
def invite(count: int, note: str) -> None:
    setup_django()
    from django.conf import settings
    from django.urls import reverse

    from envol.people.services import create_invitation

    for _i in range(count):
        code = create_invitation(note)
        click.echo(f"{settings.PUBLIC_URL}{reverse('people:signin')}?invite={code}")
