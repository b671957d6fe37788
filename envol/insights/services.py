"""Insights logic shared by the CLI, the web and the tasks: importing analytics exports,
writing metric values (the one way values get into the narrow tables), campaigns and their
totals.

Snapshots of connected accounts (a later step) write through `channel_for_account`,
`upsert_post` and `write_post_values` / `write_channel_values` exactly like the imports do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from envol.insights.exports.parse import (
    ExportError,
    ParsedExport,
    PostRecord,
    Section,
    parse_export,
)
from envol.insights.exports.parse import (
    Mapping as ColumnAssignment,
)
from envol.insights.models import (
    Campaign,
    Channel,
    ChannelMetric,
    ChannelPost,
    ColumnMapping,
    LinkClickDay,
    MetricsImport,
    PostMetric,
    Source,
)
from envol.networks.kinds import kinds_for
from envol.networks.metrics import LEVELS, TOTALS, Metric, MetricKind, Platform
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.services import audit

__all__ = ["ExportError", "InsightsError", "import_export"]

BATCH = 500


class InsightsError(Exception):
    """A user-facing mistake (a bad period, an unknown campaign…)."""


# --- channels and posts -----------------------------------------------------------------------


def channel_for_account(account: ConnectedAccount) -> Channel:
    """The channel of a connected account (created on first use)."""
    channel, _created = Channel.objects.get_or_create(
        connected_account=account,
        defaults={
            "organisation": account.organisation,
            "platform": account.network,
            "name": account.handle,
        },
    )
    return channel


def import_channel(org: Organisation, platform: Platform, account: str = "") -> Channel:
    """Where a closed platform's export goes: the page the file names, else the organisation's
    one channel on that platform (named by the first file that says its name)."""
    channels = Channel.objects.filter(organisation=org, platform=platform)
    if account:
        named = channels.filter(name=account).first()
        if named is not None:
            return named
    nameless = channels.filter(connected_account__isnull=True, name="").first()
    if nameless is not None:
        if account:
            nameless.name = account
            nameless.save(update_fields=["name"])
        return nameless
    if not account:
        existing = channels.filter(connected_account__isnull=True).order_by("pk").first()
        if existing is not None:
            return existing
    return Channel.objects.create(organisation=org, platform=platform, name=account)


def tags_field(tags: Iterable[str]) -> str:
    cleaned = sorted({t.casefold().lstrip("#") for t in tags if t.strip("# ")})
    return f" {' '.join(cleaned)} " if cleaned else ""


def upsert_posts(
    channel: Channel, records: Sequence[PostRecord], metrics_import: MetricsImport | None = None
) -> tuple[dict[str, int], int]:
    """Create or update the channel's posts; remote id → post id, and how many were new."""
    ids: dict[str, int] = {}
    wanted = list(dict.fromkeys(r.remote_id for r in records))
    for start in range(0, len(wanted), BATCH):
        ids.update(
            ChannelPost.objects.filter(
                channel=channel, remote_id__in=wanted[start : start + BATCH]
            ).values_list("remote_id", "pk")
        )
    existing = set(ids)
    fresh: dict[str, ChannelPost] = {}
    changed: list[ChannelPost] = []
    for record in records:
        post = ChannelPost(
            pk=ids.get(record.remote_id),
            channel=channel,
            remote_id=record.remote_id,
            url=record.url,
            published_at=record.published_at,
            published_on=timezone.localtime(record.published_at).date(),
            text=record.text,
            post_type=record.post_type,
            tags=tags_field(record.tags),
            first_import=metrics_import,
        )
        if record.remote_id in existing:
            changed.append(post)
        else:
            fresh[record.remote_id] = post
    ChannelPost.objects.bulk_create(fresh.values(), batch_size=BATCH)
    ChannelPost.objects.bulk_update(
        changed,
        ["url", "published_at", "published_on", "text", "post_type", "tags"],
        batch_size=BATCH,
    )
    for remote_id, post in fresh.items():
        if post.pk is None:  # databases that do not return ids from bulk inserts
            post.pk = ChannelPost.objects.get(channel=channel, remote_id=remote_id).pk
        ids[remote_id] = post.pk
    return ids, len(fresh)


@dataclass(frozen=True)
class Value:
    metric: Metric
    value: float | None
    kind: MetricKind


def measured(platform: Platform | str, values: Mapping[Metric, float]) -> list[Value]:
    """The values a platform measures, each with its kind from the kinds table; a value the
    table says the platform does not measure is not stored (reach is never invented)."""
    kinds = kinds_for(platform)
    return [
        Value(metric, number, kinds.kind(metric))
        for metric, number in values.items()
        if kinds.kind(metric) != MetricKind.ABSENT
    ]


def write_post_values(
    rows: Iterable[tuple[int, date, Sequence[Value]]],
    *,
    source: str,
    observed_at: datetime,
    metrics_import: MetricsImport | None = None,
) -> None:
    """Upsert (post, metric, day): running a day again updates, never duplicates."""
    _upsert(
        PostMetric,
        "post",
        ((post_id, day, values) for post_id, day, values in rows),
        source=source,
        observed_at=observed_at,
        metrics_import=metrics_import,
    )


def write_channel_values(
    channel: Channel,
    rows: Iterable[tuple[date, Sequence[Value]]],
    *,
    source: str,
    observed_at: datetime,
    metrics_import: MetricsImport | None = None,
) -> None:
    """Upsert (channel, metric, day): an overlapping period updates its days."""
    _upsert(
        ChannelMetric,
        "channel",
        ((channel.pk, day, values) for day, values in rows),
        source=source,
        observed_at=observed_at,
        metrics_import=metrics_import,
    )


MetricRow = TypeVar("MetricRow", PostMetric, ChannelMetric)


def _upsert(
    model: type[MetricRow],
    subject: str,
    rows: Iterable[tuple[int, date, Sequence[Value]]],
    *,
    source: str,
    observed_at: datetime,
    metrics_import: MetricsImport | None,
) -> None:
    objects = [
        model(
            **{f"{subject}_id": subject_id},
            metric=v.metric,
            day=day,
            value=v.value,
            kind=v.kind,
            source=source,
            metrics_import=metrics_import,
            observed_at=observed_at,
        )
        for subject_id, day, values in rows
        for v in values
    ]
    model.objects.bulk_create(
        objects,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=[subject, "metric", "day"],
        update_fields=["value", "kind", "source", "metrics_import", "observed_at"],
    )


# --- imports ----------------------------------------------------------------------------------


def remembered_mapping(org: Organisation, signature: str) -> ColumnAssignment | None:
    found = ColumnMapping.objects.filter(organisation=org, headers_signature=signature).first()
    return ColumnAssignment(found.file_kind, dict(found.columns)) if found else None


def import_export(
    org: Organisation,
    path: Path,
    *,
    file_name: str | None = None,
    platform: str = "auto",
    mapping: ColumnAssignment | None = None,
    actor: Any = None,
    today: date | None = None,
) -> MetricsImport:
    """Read an analytics export and store it, all or nothing. Raises `ExportError`.

    Posts are keyed by platform + post id, days by platform + date: importing the same file
    again, or a file whose period overlaps, updates what is there and never doubles it. A
    `mapping` (columns assigned by hand) is remembered for the organisation's next file with
    the same headers.
    """
    name = file_name or path.name
    today = today or timezone.localdate()
    parsed = parse_export(
        path,
        name,
        platform=platform,
        mapping=mapping,
        remembered=lambda signature: remembered_mapping(org, signature),
        today=today,
        zone=timezone.get_current_timezone(),
    )
    with transaction.atomic():
        metrics_import = _store(org, parsed, actor=actor, today=today)
        if mapping is not None:
            ColumnMapping.objects.update_or_create(
                organisation=org,
                headers_signature=parsed.signature,
                defaults={
                    "file_kind": mapping.file_kind,
                    "platform": parsed.platform,
                    "columns": mapping.columns,
                },
            )
        audit(
            "insights.import",
            organisation=org,
            actor=actor,
            obj=metrics_import,
            file=name,
            platform=parsed.platform,
            rows=metrics_import.rows,
        )
    return metrics_import


def _store(org: Organisation, parsed: ParsedExport, *, actor: Any, today: date) -> MetricsImport:
    primary = [s for s in parsed.sections if s.file_kind.kind == parsed.kind]
    first = primary[0]
    metrics_import = MetricsImport.objects.create(
        organisation=org,
        channel=import_channel(org, first.platform, first.account),
        platform=first.platform,
        file_kind=parsed.file_kind.name,
        kind=parsed.kind,
        file_name=parsed.file_name[:255],
        warnings=parsed.warnings,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    now = timezone.now()
    counts = {"rows": 0, "new": 0, "updated": 0}
    totals: dict[str, float] = defaultdict(float)
    period: list[date] = []
    for section in parsed.sections:
        channel = import_channel(org, section.platform, section.account)
        new, rows = _store_section(channel, section, metrics_import, now, today)
        if section in primary:
            counts["rows"] += rows
            counts["new"] += new
            counts["updated"] += rows - new
            period.extend(_section_days(section))
            for metric, number in _section_totals(section).items():
                totals[metric] += number
    metrics_import.rows = counts["rows"]
    metrics_import.new = counts["new"]
    metrics_import.updated = counts["updated"]
    metrics_import.period_start = min(period) if period else None
    metrics_import.period_end = max(period) if period else None
    metrics_import.totals = {m.value: _number(totals[m]) for m in TOTALS if m in totals}
    metrics_import.save()
    return metrics_import


def _store_section(
    channel: Channel, section: Section, metrics_import: MetricsImport, now: datetime, today: date
) -> tuple[int, int]:
    """Write one table; (new, rows)."""
    if section.posts:
        ids, new = upsert_posts(channel, section.posts, metrics_import)
        write_post_values(
            (
                (ids[r.remote_id], today, measured(section.platform, r.values))
                for r in section.posts
            ),
            source=Source.IMPORT,
            observed_at=now,
            metrics_import=metrics_import,
        )
        return new, len(ids)
    days = [d.day for d in section.days]
    known = set(
        ChannelMetric.objects.filter(channel=channel, day__in=days)
        .values_list("day", flat=True)
        .distinct()
    )
    write_channel_values(
        channel,
        ((d.day, measured(section.platform, d.values)) for d in section.days),
        source=Source.IMPORT,
        observed_at=now,
        metrics_import=metrics_import,
    )
    return len(set(days) - known), len(days)


def _section_days(section: Section) -> list[date]:
    if section.posts:
        return [timezone.localtime(p.published_at).date() for p in section.posts]
    return [d.day for d in section.days]


def _section_totals(section: Section) -> dict[Metric, float]:
    totals: dict[Metric, float] = defaultdict(float)
    records = section.posts or section.days
    for record in records:
        for metric, number in record.values.items():
            if metric not in LEVELS:
                totals[metric] += number
    return totals


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def import_summary(metrics_import: MetricsImport) -> dict[str, Any]:
    """Exactly the JSON of `envol insights import --json`."""
    start, end = metrics_import.period_start, metrics_import.period_end
    return {
        "platform": str(metrics_import.platform),
        "kind": metrics_import.kind,
        "rows": metrics_import.rows,
        "new": metrics_import.new,
        "updated": metrics_import.updated,
        "period": [start.isoformat() if start else None, end.isoformat() if end else None],
        "totals": dict(metrics_import.totals),
        "warnings": list(metrics_import.warnings),
    }


# --- campaigns --------------------------------------------------------------------------------


def normalise_tags(tags: Iterable[str]) -> list[str]:
    return sorted({t.strip().lstrip("#").casefold() for t in tags if t.strip().lstrip("#")})


@transaction.atomic
def save_campaign(
    org: Organisation,
    name: str,
    *,
    starts_on: date | None = None,
    ends_on: date | None = None,
    tags: Sequence[str] | None = None,
    actor: Any = None,
) -> Campaign:
    """Create the campaign, or update the period and tags given (others stay as they were)."""
    name = name.strip()
    if not name:
        raise InsightsError(_("A campaign needs a name."))
    campaign, created = Campaign.objects.get_or_create(organisation=org, name=name[:200])
    if starts_on is not None:
        campaign.starts_on = starts_on
    if ends_on is not None:
        campaign.ends_on = ends_on
    if tags:
        campaign.tags = normalise_tags(tags)
    if campaign.starts_on and campaign.ends_on and campaign.starts_on > campaign.ends_on:
        raise InsightsError(
            _("The campaign starts (%(start)s) after it ends (%(end)s).")
            % {"start": campaign.starts_on.isoformat(), "end": campaign.ends_on.isoformat()}
        )
    campaign.save()
    audit(
        "insights.campaign.create" if created else "insights.campaign.update",
        organisation=org,
        actor=actor,
        obj=campaign,
        period=[str(campaign.starts_on), str(campaign.ends_on)],
        tags=campaign.tags,
    )
    return campaign


def campaign_posts(campaign: Campaign) -> Any:
    """The organisation's posts on every platform in the campaign's period and with one of its
    hashtags (either criterion alone when the other is not set)."""
    posts = ChannelPost.objects.filter(channel__organisation=campaign.organisation)
    if campaign.starts_on:
        posts = posts.filter(published_on__gte=campaign.starts_on)
    if campaign.ends_on:
        posts = posts.filter(published_on__lte=campaign.ends_on)
    if campaign.tags:
        matches = Q()
        for tag in campaign.tags:
            matches |= Q(tags__contains=f" {tag} ")
        posts = posts.filter(matches)
    return posts


@dataclass
class NetworkFigures:
    values: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    posts: int = 0

    def add(self, metric: str, value: float, kind: str) -> None:
        self.values[metric] = self.values.get(metric, 0) + value
        if self.kinds.get(metric) != MetricKind.PROXY:
            self.kinds[metric] = kind


@dataclass
class CampaignReport:
    campaign: Campaign
    networks: dict[str, NetworkFigures]
    views_basis: dict[str, str]  # network → the metric counted as its views
    total_views: float

    def as_json(self) -> dict[str, Any]:
        """Exactly the JSON of `envol insights campaign --json`."""
        campaign = self.campaign
        return {
            "campaign": campaign.name,
            "period": [
                campaign.starts_on.isoformat() if campaign.starts_on else None,
                campaign.ends_on.isoformat() if campaign.ends_on else None,
            ],
            "networks": {
                net: {metric: _number(v) for metric, v in sorted(figures.values.items())}
                for net, figures in sorted(self.networks.items())
            },
            "total_views": _number(self.total_views),
        }


def campaign_report(campaign: Campaign) -> CampaignReport:
    """Per network: each post's latest value of each metric, added up; the short links' clicks
    standing in for link clicks where the network gives none (a proxy)."""
    posts = dict(campaign_posts(campaign).values_list("pk", "channel__platform"))
    latest: dict[tuple[int, str], tuple[float, str]] = {}
    ids = list(posts)
    for start in range(0, len(ids), BATCH):
        for post_id, metric, value, kind in (
            PostMetric.objects.filter(post_id__in=ids[start : start + BATCH])
            .exclude(kind=MetricKind.ABSENT)
            .order_by("day")
            .values_list("post_id", "metric", "value", "kind")
        ):
            latest[(post_id, metric)] = (value or 0.0, kind)
    networks: dict[str, NetworkFigures] = defaultdict(NetworkFigures)
    for platform in posts.values():
        networks[platform].posts += 1
    for (post_id, metric), (value, kind) in latest.items():
        if metric not in LEVELS:
            networks[posts[post_id]].add(metric, value, kind)
    _add_link_clicks(campaign, networks)
    views_basis: dict[str, str] = {}
    total = 0.0
    for platform, figures in networks.items():
        for metric in kinds_for(platform).views:
            if metric in figures.values:
                views_basis[platform] = metric
                total += figures.values[metric]
                break
    return CampaignReport(campaign, dict(networks), views_basis, total)


def _add_link_clicks(campaign: Campaign, networks: dict[str, NetworkFigures]) -> None:
    clicks = LinkClickDay.objects.filter(link__campaign=campaign).exclude(link__platform="")
    if campaign.starts_on:
        clicks = clicks.filter(day__gte=campaign.starts_on)
    by_platform: dict[str, int] = defaultdict(int)
    for platform, count in clicks.values_list("link__platform", "clicks"):
        by_platform[platform] += count
    for platform, count in by_platform.items():
        if kinds_for(platform).kind(Metric.CLICKS) == MetricKind.EXACT and (
            Metric.CLICKS in networks[platform].values
        ):
            continue  # the platform's own count already includes the clicks on our links
        networks[platform].values.pop(Metric.CLICKS, None)
        networks[platform].add(Metric.CLICKS, count, MetricKind.PROXY)


# --- what other apps read ---------------------------------------------------------------------


def latest_publication_values(publication_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """publication id → {metric: its latest value} for envol's own posts that snapshots or imports
    have measured (the publishing desk's list of published posts). Unmeasured ones are absent."""
    ids = list(publication_ids)
    if not ids:
        return {}
    found: dict[int, dict[str, tuple[date, float]]] = defaultdict(dict)
    rows = PostMetric.objects.filter(post__publication_id__in=ids, value__isnull=False).values_list(
        "post__publication_id", "metric", "day", "value"
    )
    for publication_id, metric, day, value in rows:
        if value is None:
            continue
        seen = found[publication_id].get(metric)
        if seen is None or day > seen[0]:
            found[publication_id][metric] = (day, value)
    return {pid: {m: v for m, (_d, v) in metrics.items()} for pid, metrics in found.items()}
