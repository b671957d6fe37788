"""`envol insights import|snapshot|campaign` and `envol links create`: measuring from the shell.

A bad file prints one line on stderr — the file, the columns expected and those found — and
exits with status 1; nothing is stored.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from envol.cli.common import cli_language, print_json, setup_django
from envol.cli.i18n import _, gettext_noop, group

PLATFORMS = ["auto", "x", "facebook", "instagram", "linkedin", "youtube", "tiktok"]
NETWORKS = ["bluesky", "mastodon", "x", "facebook", "instagram", "linkedin", "youtube", "tiktok"]
DATE = click.DateTime(formats=["%Y-%m-%d"])


def _fail(message: str) -> None:
    click.secho(" ".join(message.split()), fg="red", err=True)
    sys.exit(1)


def _organisation(slug: str) -> Any:
    from envol.orgs.services import OrgError, get_organisation

    try:
        return get_organisation(slug)
    except OrgError as exc:
        _fail(str(exc))


def _figure(value: float) -> str:
    """1 234,5 in French (narrow no-break space, decimal comma), 1,234.5 in English."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if cli_language() == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")


@group(help=gettext_noop("What each network brings: snapshots, analytics exports, campaigns."))
def insights() -> None:
    pass


@insights.command(
    "import",
    help=gettext_noop(
        "Import a platform's analytics export (CSV, .xls, .xlsx) as the platform gives it."
    ),
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option("--platform", type=click.Choice(PLATFORMS), default="auto", show_default=True)
@click.option(
    "--json", "as_json", is_flag=True, help=gettext_noop("print the import's summary as JSON")
)
def import_command(path: Path, org_slug: str, platform: str, as_json: bool) -> None:
    setup_django()
    from envol.insights import services, texts
    from envol.insights.exports.columns import BY_NAME
    from envol.insights.models import MetricChoice

    org = _organisation(org_slug)
    if not path.is_file():
        _fail(_("{path}: no such file.").format(path=path))
    try:
        done = services.import_export(org, path, platform=platform)
    except services.ExportError as exc:
        _fail(str(exc))
        return
    summary = services.import_summary(done)
    if as_json:
        print_json(summary)
        return
    click.echo(
        texts.IMPORTED
        % {
            "id": done.pk,
            "platform": done.get_platform_display(),
            "label": BY_NAME[done.file_kind].label,
            "counts": texts.row_counts(done.rows, done.new, done.updated),
        }
    )
    start, end = summary["period"]
    click.echo(texts.PERIOD % {"start": start or "—", "end": end or "—"})
    labels = dict(MetricChoice.choices)  # "Impressions", not the code "impressions"
    for metric, value in summary["totals"].items():
        click.echo(f"  {labels.get(metric, metric):<20} {_figure(value):>14}")
    for warning in summary["warnings"]:
        click.secho(f"  ! {warning}", fg="yellow")


@insights.command(
    "snapshot",
    help=gettext_noop(
        "Read the organisation's Bluesky and Mastodon accounts now (followers, posts and their"
        " counts), as the daily job does; exits 1 when an account could not be read."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option(
    "--json", "as_json", is_flag=True, help=gettext_noop("print each account's run as JSON")
)
def snapshot_command(org_slug: str, as_json: bool) -> None:
    setup_django()
    from envol.insights import snapshots, texts

    org = _organisation(org_slug)
    runs = []
    for account in org.accounts.order_by("network", "handle"):
        job = snapshots.snapshot_job_for(account)
        if job is not None:
            runs.append(snapshots.run_now(job))
    if as_json:
        print_json([snapshots.run_summary(job) for job in runs])
    for job in runs if not as_json else ():
        if job.last_error:
            click.secho(
                texts.SNAPSHOT_FAILED % {"account": job.account, "error": job.last_error},
                fg="red",
                err=True,
            )
        else:
            click.echo(texts.snapshot_read(job.account, job.last_day, job.posts_read))
    if not runs and not as_json:
        click.echo(texts.NO_ACCOUNT)
    if any(job.last_error for job in runs):
        sys.exit(1)


@insights.command(
    "campaign",
    help=gettext_noop(
        "Create or update a campaign (period, hashtags) and print its totals per network."
    ),
)
@click.argument("name")
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option(
    "--from", "starts", type=DATE, default=None, help=gettext_noop("first day (YYYY-MM-DD)")
)
@click.option("--to", "ends", type=DATE, default=None, help=gettext_noop("last day (YYYY-MM-DD)"))
@click.option(
    "--tag", "tags", multiple=True, help=gettext_noop("a hashtag of the campaign (repeatable)")
)
@click.option(
    "--json", "as_json", is_flag=True, help=gettext_noop("print the campaign's totals as JSON")
)
def campaign_command(
    name: str,
    org_slug: str,
    starts: datetime | None,
    ends: datetime | None,
    tags: tuple[str, ...],
    as_json: bool,
) -> None:
    setup_django()
    from envol.insights import services

    org = _organisation(org_slug)
    try:
        campaign = services.save_campaign(
            org,
            name,
            starts_on=_day(starts),
            ends_on=_day(ends),
            tags=list(tags),
        )
    except services.InsightsError as exc:
        _fail(str(exc))
        return
    report = services.campaign_report(campaign)
    if as_json:
        print_json(report.as_json())
        return
    _print_campaign(report)


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def _print_campaign(report: Any) -> None:
    from envol.insights import texts
    from envol.insights.models import MetricChoice, PlatformChoice

    campaign = report.campaign
    click.secho(texts.CAMPAIGN % {"name": campaign.name}, bold=True)
    click.echo(
        texts.CAMPAIGN_PERIOD
        % {
            "start": campaign.starts_on or texts.ANY,
            "end": campaign.ends_on or texts.ANY,
        }
    )
    if campaign.tags:
        click.echo(texts.CAMPAIGN_TAGS % {"tags": " ".join(f"#{t}" for t in campaign.tags)})
    if not report.networks:
        click.echo(texts.NO_POSTS)
        return
    labels = dict(MetricChoice.choices)
    for network, figures in sorted(report.networks.items()):
        click.secho(f"{PlatformChoice(network).label}", bold=True)
        for metric, value in sorted(figures.values.items()):
            proxy = f" ({texts.PROXY})" if figures.kinds.get(metric) == "proxy" else ""
            click.echo(f"  {labels.get(metric, metric):<20} {_figure(value):>14}{proxy}")
    basis = ", ".join(
        texts.VIEWS_AS % {"network": PlatformChoice(n).label, "metric": labels[m]}
        for n, m in sorted(report.views_basis.items())
    )
    click.secho(
        texts.TOTAL_VIEWS % {"total": _figure(report.total_views), "basis": basis}, bold=True
    )


@group(help=gettext_noop("Own short links: the traffic each network really sends."))
def links() -> None:
    pass


@links.command(
    "create",
    help=gettext_noop("Make a short link ENVOL_PUBLIC_URL/l/<code> to URL and print it."),
)
@click.argument("url")
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option(
    "--campaign", default="", help=gettext_noop("the campaign it belongs to (created if new)")
)
@click.option(
    "--network", type=click.Choice(NETWORKS), default=None, help=gettext_noop("where it is posted")
)
@click.option(
    "--utm", is_flag=True, help=gettext_noop("add utm_source, utm_medium and utm_campaign")
)
def create_link(url: str, org_slug: str, campaign: str, network: str | None, utm: bool) -> None:
    setup_django()
    from envol.insights import shortlinks, texts
    from envol.insights.services import InsightsError, save_campaign

    org = _organisation(org_slug)
    try:
        found = save_campaign(org, campaign) if campaign else None
        link = shortlinks.create_link(org, url, platform=network or "", campaign=found, utm=utm)
    except (InsightsError, shortlinks.LinkError) as exc:
        _fail(str(exc))
        return
    click.echo(texts.LINK_CREATED % {"url": shortlinks.short_url(link), "target": link.target_url})
