"""`envol crosswalk subscribe|pull|subscriptions`: the crosswalk shared between instances, and
`envol people invite`: invitations to open a personal space (ENVOL_SIGNUP=invite)."""

from __future__ import annotations

import click

from envol.cli.common import setup_django


@click.command("subscribe")
@click.argument("url")
@click.option("--source", required=True, help="name of the dataset the links are recorded under")
@click.option("--confidence", default=0.9, show_default=True, type=float)
def subscribe(url: str, source: str, confidence: float) -> None:
    """Subscribe to another envol instance's public crosswalk feed, and pull it once."""
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


@click.command("pull")
@click.option("--source", default="", help="only this subscription (default: all)")
def pull(source: str) -> None:
    """Pull what changed in the subscribed feeds now (the workers also pull them on schedule)."""
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


@click.command("subscriptions")
def subscriptions() -> None:
    """List the feeds this instance subscribes to."""
    setup_django()
    from envol.sharing.models import Subscription

    for s in Subscription.objects.order_by("pk"):
        state = s.last_error or (f"cursor {s.cursor}" if s.last_pulled_at else "never pulled")
        click.echo(f"{s.source}\t{s.url}\tconfidence {s.confidence}\t{state}")


@click.group()
def people() -> None:
    """Personal spaces (people who sign in with Bluesky or Mastodon)."""


@people.command("invite")
@click.option("--count", default=1, show_default=True, type=click.IntRange(1, 1000))
@click.option("--note", default="", help="who it is for (kept with the invitation)")
def invite(count: int, note: str) -> None:
    """Print invitation links (one personal space each), for ENVOL_SIGNUP=invite."""
    setup_django()
    from django.conf import settings
    from django.urls import reverse

    from envol.people.services import create_invitation

    for _i in range(count):
        code = create_invitation(note)
        click.echo(f"{settings.PUBLIC_URL}{reverse('people:signin')}?invite={code}")
