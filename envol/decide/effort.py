"""The effort log: hours per person, network, activity and day, entered from the weekly grid,
the command line or a CSV file; costs (hourly rates, other costs); and the estimate of the time
spent on posts published through envol, which counts only once the team confirmed it.

Every write goes through here (audited); the CLI and the web only parse and display.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from envol.decide.models import (
    Activity,
    DecisionSettings,
    EffortEntry,
    HourlyRate,
    NetworkChoice,
    OtherCost,
)
from envol.decide.networks import NETWORK_CODES
from envol.orgs.models import Membership, Organisation
from envol.orgs.services import audit

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ERRORS = 20
DAY_HOURS = Decimal(24)


class EffortError(Exception):
    """A user-facing mistake, said with what to do."""


@dataclass(frozen=True)
class LineError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}, {_('line')} {self.line}: {self.message}"


class CsvImportError(EffortError):
    """A CSV file with mistakes: nothing was stored; each mistake names its line."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- parsing values, shared by the CLI, the CSV import and the grid ---------------------------


def parse_hours(raw: str | float | Decimal, *, limit: Decimal = DAY_HOURS) -> Decimal:
    """'1,5', '1.5', '1h30' or '0:45' → hours; refuses what is not 0–24 h."""
    text = str(raw).strip().lower().replace(" ", "").replace(",", ".")
    try:
        if ":" in text or "h" in text:
            hours_part, _sep, minutes_part = text.replace("h", ":").partition(":")
            value = Decimal(hours_part or "0") + Decimal(minutes_part or "0") / 60
        else:
            value = Decimal(text)
    except InvalidOperation:
        raise EffortError(
            _("“%(raw)s” is not a number of hours: write for example 1.5, 1,5 or 1h30.")
            % {"raw": raw}
        ) from None
    if not value.is_finite() or value < 0 or value > limit:
        raise EffortError(
            _("%(raw)s hours: write a number of hours between 0 and %(limit)s.")
            % {"raw": raw, "limit": limit}
        )
    return value.quantize(Decimal("0.01"))


def parse_network(raw: str) -> str:
    value = raw.strip().casefold()
    aliases = _labels_in_both_languages(NetworkChoice.choices)
    aliases |= {"twitter": "x", "lettre": "newsletter", "site": "website", "site web": "website"}
    value = aliases.get(value, value)
    if value not in NETWORK_CODES:
        raise EffortError(
            _("Unknown network “%(raw)s”: use one of %(networks)s.")
            % {"raw": raw, "networks": ", ".join(NETWORK_CODES)}
        )
    return value


def _labels_in_both_languages(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Label → code, for the labels in French and in English (files come in either)."""
    from django.utils import translation

    found: dict[str, str] = {}
    for language in ("en", "fr"):
        with translation.override(language):
            found |= {str(label).casefold(): code for code, label in choices}
    return found


def parse_activity(raw: str) -> str:
    value = raw.strip().casefold()
    if not value:
        return Activity.GENERAL
    value = _labels_in_both_languages(Activity.choices).get(value, value)
    if value not in Activity.values:
        raise EffortError(
            _("Unknown activity “%(raw)s”: use one of %(activities)s.")
            % {"raw": raw, "activities": ", ".join(Activity.values)}
        )
    return value


def parse_day(raw: str) -> date:
    text = raw.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise EffortError(
        _("“%(raw)s” is not a date: write it as 2025-03-31 or 31/03/2025.") % {"raw": raw}
    )


def member_by_email(org: Organisation, email: str) -> Any:
    """The member of `org` with this email, or EffortError saying how to add them."""
    address = email.strip().lower()
    membership = (
        Membership.objects.select_related("user")
        .filter(organisation=org, user__username=address)
        .first()
    )
    if membership is None:
        raise EffortError(
            _(
                "%(email)s is not a member of %(org)s: add them first "
                "(envol user create %(email)s --org %(slug)s --role viewer)."
            )
            % {"email": address, "org": org.name, "slug": org.slug}
        )
    return membership.user


# --- writing entries --------------------------------------------------------------------------


def add_effort(
    org: Organisation,
    *,
    network: str,
    hours: Decimal,
    day: date,
    activity: str = Activity.GENERAL,
    person: Any = None,
    source: str = EffortEntry.Source.CLI,
    note: str = "",
    actor: Any = None,
) -> EffortEntry:
    entry = EffortEntry.objects.create(
        organisation=org,
        network=parse_network(network),
        hours=parse_hours(hours),
        day=day,
        activity=parse_activity(activity),
        person=person,
        source=source,
        note=note[:500],
        created_by=_user(actor),
    )
    audit(
        "decide.effort.add",
        organisation=org,
        actor=actor,
        obj=entry,
        network=entry.network,
        hours=str(entry.hours),
        day=day.isoformat(),
        source=source,
    )
    return entry


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


CSV_COLUMNS = {
    "date": ("date", "jour", "day"),
    "network": ("network", "réseau", "reseau"),
    "hours": ("hours", "heures", "durée", "duree"),
    "activity": ("activity", "activité", "activite"),
    "person": ("person", "personne", "email", "e-mail", "courriel"),
    "note": ("note", "comment", "commentaire"),
}
REQUIRED_COLUMNS = ("date", "network", "hours")


def import_csv(org: Organisation, path: Path, *, file_name: str = "", actor: Any = None) -> int:
    """Add every line of an effort CSV, all or nothing. Columns (English or French headers):
    date, network, hours, and optionally activity, person (a member's email), note. Returns how
    many entries were added; raises CsvImportError listing each bad line and what to do."""
    name = file_name or path.name
    if path.stat().st_size > MAX_CSV_BYTES:
        raise CsvImportError(
            [LineError(name, 0, _("The file is larger than 5 MB: split it by year."))]
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise CsvImportError([LineError(name, 1, _("The file is empty."))])
    positions = _csv_positions(header)
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise CsvImportError(
            [
                LineError(
                    name,
                    1,
                    _(
                        "Missing column(s) %(missing)s. The first line must name the columns: "
                        "date, network, hours, and optionally activity, person, note "
                        "(found: %(found)s)."
                    )
                    % {"missing": ", ".join(missing), "found": ", ".join(header) or "—"},
                )
            ]
        )
    rows: list[dict[str, Any]] = []
    errors: list[LineError] = []
    people: dict[str, Any] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        try:
            rows.append(_csv_row(org, cells, positions, people))
        except EffortError as exc:
            errors.append(LineError(name, number, str(exc)))
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise CsvImportError(errors)
    if not rows:
        raise CsvImportError([LineError(name, 2, _("No line of hours under the header."))])
    creator = _user(actor)
    with transaction.atomic():
        EffortEntry.objects.bulk_create(
            EffortEntry(organisation=org, source=EffortEntry.Source.CSV, created_by=creator, **row)
            for row in rows
        )
        audit("decide.effort.import", organisation=org, actor=actor, file=name, rows=len(rows))
    return len(rows)


def _csv_positions(header: list[str]) -> dict[str, int]:
    wanted = {alias: column for column, aliases in CSV_COLUMNS.items() for alias in aliases}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = wanted.get(cell.strip().casefold())
        if column and column not in positions:
            positions[column] = index
    return positions


def _csv_row(
    org: Organisation, cells: list[str], positions: Mapping[str, int], people: dict[str, Any]
) -> dict[str, Any]:
    def cell(column: str) -> str:
        index = positions.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for column in REQUIRED_COLUMNS:
        if not cell(column):
            raise EffortError(_("The %(column)s is empty: fill it in.") % {"column": column})
    email = cell("person").lower()
    if email and email not in people:
        people[email] = member_by_email(org, email)
    return {
        "day": parse_day(cell("date")),
        "network": parse_network(cell("network")),
        "hours": parse_hours(cell("hours")),
        "activity": parse_activity(cell("activity")),
        "person": people.get(email),
        "note": cell("note")[:500],
    }


# --- the weekly grid --------------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


def grid_hours(org: Organisation, person: Any, monday: date) -> dict[tuple[str, date], Decimal]:
    """The person's grid cells of the week: (network, day) → hours."""
    return {
        (network, day): hours
        for network, day, hours in EffortEntry.objects.filter(
            organisation=org,
            person=person,
            source=EffortEntry.Source.GRID,
            day__range=(monday, monday + timedelta(days=6)),
        ).values_list("network", "day", "hours")
    }


@transaction.atomic
def save_grid(
    org: Organisation,
    person: Any,
    monday: date,
    cells: Mapping[tuple[str, date], Decimal | None],
) -> int:
    """Write the week's grid for `person`: a filled cell is created or updated, an emptied one
    (None or 0) is deleted. Returns how many cells hold hours afterwards."""
    week = set(week_days(monday))
    existing = {
        (e.network, e.day): e
        for e in EffortEntry.objects.select_for_update().filter(
            organisation=org, person=person, source=EffortEntry.Source.GRID, day__in=week
        )
    }
    kept = 0
    for (network, day), hours in cells.items():
        if day not in week or network not in NETWORK_CODES:
            continue
        entry = existing.get((network, day))
        if not hours:
            if entry is not None:
                entry.delete()
            continue
        kept += 1
        if entry is None:
            EffortEntry.objects.create(
                organisation=org,
                person=person,
                network=network,
                day=day,
                hours=hours,
                source=EffortEntry.Source.GRID,
                created_by=person,
            )
        elif entry.hours != hours:
            entry.hours = hours
            entry.save(update_fields=["hours"])
    audit(
        "decide.effort.grid",
        organisation=org,
        actor=person,
        week=monday.isoformat(),
        cells=kept,
    )
    return kept


# --- the estimate of posts published with envol -----------------------------------------------


def decision_settings(org: Organisation) -> DecisionSettings:
    found, _created = DecisionSettings.objects.get_or_create(organisation=org)
    return found


@dataclass(frozen=True)
class Estimate:
    network: str
    monday: date
    posts: int
    minutes_per_post: int

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.posts * self.minutes_per_post) / 60).quantize(Decimal("0.01"))


def pending_estimates(org: Organisation, today: date, weeks: int = 8) -> list[Estimate]:
    """Per network and week (of the last `weeks`, this one included), the posts envol published
    for the team that no confirmed estimate covers yet: an offer, never counted until confirmed."""
    from envol.publishing.models import Publication

    first = monday_of(today) - timedelta(weeks=weeks - 1)
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()), zone)
    done = Publication.objects.filter(
        post__organisation=org,
        state=Publication.State.DONE,
        part_index=0,
        done_at__gte=start,
    ).values_list("network", "done_at")
    counts: dict[tuple[str, date], int] = {}
    for network, done_at in done:
        key = (network, monday_of(timezone.localtime(done_at, zone).date()))
        counts[key] = counts.get(key, 0) + 1
    confirmed = set(
        EffortEntry.objects.filter(
            organisation=org, source=EffortEntry.Source.ESTIMATE, day__gte=first
        ).values_list("network", "day")
    )
    minutes = decision_settings(org).minutes_per_post
    return [
        Estimate(network, monday, posts, minutes)
        for (network, monday), posts in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if (network, monday) not in confirmed and network in NETWORK_CODES
    ]


@transaction.atomic
def confirm_estimate(
    org: Organisation, network: str, monday: date, hours: Decimal, *, posts: int, actor: Any
) -> EffortEntry:
    """The team confirms (or corrects) the hours of a week's posts published with envol."""
    entry, _created = EffortEntry.objects.update_or_create(
        organisation=org,
        network=parse_network(network),
        day=monday_of(monday),
        source=EffortEntry.Source.ESTIMATE,
        defaults={
            "hours": parse_hours(hours, limit=Decimal(168)),
            "activity": Activity.WRITING,
            "note": ngettext(
                "%(posts)s post published with envol",
                "%(posts)s posts published with envol",
                posts,
            )
            % {"posts": posts},
            "created_by": _user(actor),
        },
    )
    audit(
        "decide.effort.estimate",
        organisation=org,
        actor=actor,
        obj=entry,
        network=network,
        week=entry.day.isoformat(),
        hours=str(entry.hours),
        posts=posts,
    )
    return entry


# --- costs ------------------------------------------------------------------------------------


@transaction.atomic
def set_rate(
    org: Organisation,
    euros_per_hour: Decimal | None,
    *,
    person: Any = None,
    role: str = "",
    actor: Any = None,
) -> HourlyRate | None:
    """Set (or, with None, remove) the hourly cost of a person, of a role, or the default."""
    found = HourlyRate.objects.filter(organisation=org)
    found = (
        found.filter(person=person)
        if person is not None
        else found.filter(person__isnull=True, role=role)
    )
    rate = found.first()
    if euros_per_hour is None:
        if rate is not None:
            rate.delete()
        audit("decide.rate.remove", organisation=org, actor=actor, role=role, person=str(person))
        return None
    if rate is None:
        rate = HourlyRate(organisation=org, person=person, role="" if person else role)
    rate.euros_per_hour = euros_per_hour
    rate.save()
    audit("decide.rate.set", organisation=org, actor=actor, obj=rate, role=role)
    return rate


def add_other_cost(
    org: Organisation,
    *,
    network: str,
    month: date,
    kind: str,
    euros: Decimal,
    note: str = "",
    actor: Any = None,
) -> OtherCost:
    cost = OtherCost.objects.create(
        organisation=org,
        network=parse_network(network),
        month=month.replace(day=1),
        kind=kind,
        euros=euros,
        note=note[:300],
    )
    audit("decide.cost.add", organisation=org, actor=actor, obj=cost, network=cost.network)
    return cost


class Rates:
    """Who costs what: a person's rate, else their role's, else the organisation's default."""

    def __init__(self, org: Organisation):
        rows = list(HourlyRate.objects.filter(organisation=org))
        self.by_person = {r.person_id: r.euros_per_hour for r in rows if r.person_id}
        self.by_role = {r.role: r.euros_per_hour for r in rows if not r.person_id and r.role}
        self.default = next(
            (r.euros_per_hour for r in rows if not r.person_id and not r.role), None
        )
        self.roles = dict(
            Membership.objects.filter(organisation=org).values_list("user_id", "role")
        )

    def of(self, person_id: int | None) -> Decimal | None:
        if person_id is not None:
            if person_id in self.by_person:
                return self.by_person[person_id]
            role = self.roles.get(person_id)
            if role in self.by_role:
                return self.by_role[role]
        return self.default


def people_of(org: Organisation) -> Iterable[Any]:
    return (
        get_user_model()
        .objects.filter(memberships__organisation=org)
        .annotate(entries=Count("effort_entries", filter=Q(effort_entries__organisation=org)))
        .order_by("username")
    )
