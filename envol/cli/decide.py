"""`envol effort add|import`, `envol roi` and `envol report`: the decision from the shell.

A mistake prints one line per problem on stderr (a CSV's: file, line, what to do) and exits
with status 1; nothing is stored.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click
import orjson

from envol.cli.common import fail as _fail
from envol.cli.common import organisation_or_exit as _organisation
from envol.cli.common import setup_django
from envol.cli.i18n import command, gettext_noop, group

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _period(starts: datetime, ends: datetime) -> tuple[date, date]:
    from envol.decide import texts

    if starts > ends:
        _fail(texts.BAD_PERIOD % {"start": starts.date(), "end": ends.date()})
    return starts.date(), ends.date()


def _figure(value: float | None, decimals: int = 0) -> str:
    """A figure the way the CLI's language writes it ("1 234,5" or "1,234.5"); "—" if unknown."""
    from django.utils.formats import number_format

    if value is None:
        return "—"
    return number_format(round(float(value), decimals), decimals, force_grouping=True)


@group(help=gettext_noop("Log the hours each network costs."))
def effort() -> None:
    pass


@effort.command(
    "add",
    help=gettext_noop("Add hours spent on a network."),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option(
    "--network", required=True, help=gettext_noop("bluesky, mastodon, x, facebook, … website")
)
@click.option("--hours", required=True, help=gettext_noop("hours spent (1.5, 1,5 or 1h30)"))
@click.option(
    "--date", "day", type=DATE, default=None, help=gettext_noop("the day (YYYY-MM-DD; today)")
)
@click.option(
    "--activity", default="", help=gettext_noop("writing, video, moderation, replying, …")
)
@click.option("--person", default="", help=gettext_noop("the member's email (else: the team)"))
def effort_add(
    org_slug: str, network: str, hours: str, day: datetime | None, activity: str, person: str
) -> None:
    setup_django()
    from django.utils import timezone

    from envol.decide import effort as service
    from envol.decide import texts

    org = _organisation(org_slug)
    try:
        who = service.member_by_email(org, person) if person else None
        entry = service.add_effort(
            org,
            network=service.parse_network(network),
            hours=service.parse_hours(hours),
            day=day.date() if day else timezone.localdate(),
            activity=activity,
            person=who,
        )
    except service.EffortError as exc:
        _fail(str(exc))
        return
    click.echo(
        texts.EFFORT_ADDED
        % {
            "hours": entry.hours,
            "network": entry.get_network_display(),
            "day": entry.day.isoformat(),
            "activity": entry.get_activity_display(),
        }
    )


@effort.command(
    "import",
    help=gettext_noop(
        "Add the hours of a CSV file (date, network, hours[, activity, person, note])."
    ),
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
def effort_import(path: Path, org_slug: str) -> None:
    setup_django()
    from envol.decide import effort as service
    from envol.decide import texts

    org = _organisation(org_slug)
    if not path.is_file():
        _fail(texts.NO_FILE % {"path": path})
    try:
        added = service.import_csv(org, path)
    except service.EffortError as exc:
        _fail(str(exc))
        return
    click.echo(texts.EFFORT_IMPORTED % {"file": path.name, "n": added})


COLUMNS = (
    ("hours", 1),
    ("cost", 0),
    ("posts", 0),
    ("views", 0),
    ("engagements", 0),
    ("clicks", 0),
    ("views_per_hour", 0),
    ("engagements_per_hour", 1),
    ("clicks_per_hour", 1),
)


@command(
    "roi",
    help=gettext_noop(
        "Hours, cost and what each network brought in a period, with ratios per hour."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option(
    "--from", "starts", type=DATE, required=True, help=gettext_noop("first day (YYYY-MM-DD)")
)
@click.option("--to", "ends", type=DATE, required=True, help=gettext_noop("last day (YYYY-MM-DD)"))
@click.option("--json", "as_json", is_flag=True, help=gettext_noop("print the figures as JSON"))
def roi_command(org_slug: str, starts: datetime, ends: datetime, as_json: bool) -> None:
    setup_django()
    from envol.decide import roi, texts
    from envol.decide.models import NetworkChoice

    org = _organisation(org_slug)
    start, end = _period(starts, ends)
    result = roi.compute(org, start, end)
    data = result.as_json()
    if as_json:
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
        return
    click.secho(texts.ROI_TITLE % {"org": org.name, "start": start, "end": end}, bold=True)
    if not data["networks"]:
        click.echo(texts.ROI_EMPTY)
        return
    labels = dict(texts.ROI_COLUMNS)
    header = f"{'':<14}" + "".join(f"{labels[c]!s:>14}" for c, _d in COLUMNS)
    click.echo(header)
    for code, figures in data["networks"].items():
        cells = []
        for column, decimals in COLUMNS:
            value = figures[column]
            kind = figures["kinds"].get(column)
            mark = "*" if kind == "proxy" else ""
            cells.append(f"{_figure(value, decimals) + mark:>14}")
        click.echo(f"{str(NetworkChoice(code).label)[:13]:<14}" + "".join(cells))
    click.echo(texts.ROI_LEGEND)


@command(
    "report",
    help=gettext_noop(
        "The report for elected officials: a few pages, PDF or HTML, French or English."
    ),
)
@click.option("--org", "org_slug", required=True, help=gettext_noop("organisation slug"))
@click.option(
    "--from", "starts", type=DATE, required=True, help=gettext_noop("first day (YYYY-MM-DD)")
)
@click.option("--to", "ends", type=DATE, required=True, help=gettext_noop("last day (YYYY-MM-DD)"))
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option(
    "--output", type=click.Path(path_type=Path), required=True, help=gettext_noop("file to write")
)
def report_command(
    org_slug: str, starts: datetime, ends: datetime, fmt: str, lang: str, output: Path
) -> None:
    setup_django()
    from envol.decide import report, texts

    org = _organisation(org_slug)
    start, end = _period(starts, ends)
    data = report.render(org, start, end, fmt=fmt, lang=lang)
    output.write_bytes(data)
    click.echo(texts.REPORT_WRITTEN % {"path": output, "size": len(data)})
