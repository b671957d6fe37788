"""The insights pages (viewers and up): the organisation's overview, one channel (an account on
one platform), one campaign. Each page is a few `DataTable`s, some drawn as charts beside them;
`?csv=<table>` downloads any table with the page's filters (envol/web/tables.py).

Filters are a GET form (no JavaScript): a period (default: the last 30 days) and a network.
Every figure says its kind (exact, proxy, absent) where it is not the platform's own count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from envol.insights import figures, services
from envol.insights.figures import NetworkFigures, Period
from envol.insights.models import (
    Campaign,
    Channel,
    KindChoice,
    MetricChoice,
    MetricsImport,
    PlatformChoice,
    SnapshotJob,
)
from envol.networks.kinds import kinds_for
from envol.networks.metrics import LEVELS, Metric, MetricKind, Platform
from envol.orgs.models import Role
from envol.orgs.services import org_view
from envol.web import charts, tables
from envol.web.tables import Cell, Column, DataTable

DEFAULT_DAYS = 30
QUICK_PERIODS = (7, 30, 90, 365)
SHOWN_POSTS = 50
POST_METRICS = [m for m in Metric if m not in LEVELS]  # flows, in envol's order
PLATFORM_ORDER = [p.value for p in Platform]


# --- filters ----------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class FilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    network = forms.ChoiceField(label=gettext_lazy("Network"), required=False)

    def __init__(self, *args: Any, networks: Sequence[str] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if networks is None:
            del self.fields["network"]
        else:
            choices = [("", _("All networks"))] + [(n, PlatformChoice(n).label) for n in networks]
            self.fields["network"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period comes before its start."))
        return data


@dataclass
class Filters:
    period: Period
    network: str
    query: dict[str, str]  # the filters as the page's address holds them


def read_filters(
    request: HttpRequest, today: date, networks: Sequence[str] | None, *, period: bool = True
) -> tuple[FilterForm, Filters]:
    """The page's filters from its address; the last 30 days when no period is asked for.
    A wrong value is said in the form and the default is used meanwhile."""
    default = Period.last_days(today, DEFAULT_DAYS) if period else Period()
    data = {key: request.GET.get(key, "") for key in ("start", "end", "network")}
    if period and "start" not in request.GET and "end" not in request.GET:
        data["start"], data["end"] = default.start.isoformat(), default.end.isoformat()  # type: ignore[union-attr]
    form = FilterForm(data, networks=networks)
    if not period:
        del form.fields["start"], form.fields["end"]
    chosen = Filters(default, "", {})
    if form.is_valid():
        cleaned = form.cleaned_data
        chosen = Filters(
            Period(cleaned.get("start"), cleaned.get("end")) if period else Period(),
            cleaned.get("network", "") or "",
            {},
        )
    chosen.query = {
        key: value
        for key, value in {
            "start": chosen.period.start.isoformat() if chosen.period.start else "",
            "end": chosen.period.end.isoformat() if chosen.period.end else "",
            "network": chosen.network,
        }.items()
        if value or (period and key in ("start", "end"))
    }
    return form, chosen


def quick_periods(today: date, network: str) -> list[dict[str, str]]:
    """Links to the usual periods, keeping the chosen network."""
    links = []
    for days in QUICK_PERIODS:
        period = Period.last_days(today, days)
        query = f"?start={period.start}&end={period.end}"
        label = (
            _("12 months")
            if days == 365
            else ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
        )
        links.append({"label": label, "query": query + (f"&network={network}" if network else "")})
    links.append(
        {
            "label": _("All time"),
            "query": "?start=&end=" + (f"&network={network}" if network else ""),
        }
    )
    return links


# --- labels -----------------------------------------------------------------------------------


def network_label(platform: str) -> str:
    return str(PlatformChoice(platform).label)


def metric_label(metric: str) -> str:
    return str(capfirst(dict(MetricChoice.choices).get(metric, metric)))


def style_of(platform: str) -> int:
    """A network keeps its colour, dashes and marker in every chart."""
    return PLATFORM_ORDER.index(platform) if platform in PLATFORM_ORDER else 0


def by_platform_order(platforms: Any) -> list[str]:
    return sorted(platforms, key=style_of)


def figure(value: float | None, kind: str, decimals: int = 0, *, say_exact: bool = False) -> Cell:
    """A figure with its kind: a badge says proxy or absent (an exact count is said only where
    `say_exact`, elsewhere the page's note covers it); absent shows as a dash, never as zero; a
    dash without a badge is a figure the platform gives but the period has not."""
    labels = dict(KindChoice.choices)
    if kind == MetricKind.ABSENT:
        return tables.number(None, kind=kind, kind_label=str(labels[kind]), kind_state="info")
    if value is None:
        return tables.number(None)
    if kind == MetricKind.PROXY:
        return tables.number(
            value, decimals, kind=kind, kind_label=str(labels[kind]), kind_state="warning"
        )
    if say_exact:
        return tables.number(value, decimals, kind=kind, kind_label=str(labels[kind]))
    return tables.number(value, decimals, kind=kind)


def platform_kind(platform: str, metric: str, figures_: NetworkFigures | None = None) -> str:
    if figures_ is not None and metric in figures_.kinds:
        return figures_.kinds[metric]
    return str(kinds_for(platform).kind(metric))


KINDS_NOTE = gettext_lazy(
    "Figures are the platforms' own counts unless marked “proxy” (an estimate envol documents, "
    "e.g. clicks on its own short links) or “absent” (the platform does not measure it: envol "
    "never invents it). A dash with no mark: no figure in this period."
)


def short_day(value: date, span_days: int) -> str:
    """An axis label: "5 Nov" / "5 nov." within a year, the short date beyond."""
    return date_format(value, "j M" if span_days < 300 else "SHORT_DATE_FORMAT")


def grouped(value: float, decimals: int = 0) -> str:
    shown: float = round(value, decimals) if decimals else round(value)
    return str(number_format(shown, decimal_pos=decimals or None, force_grouping=True))


# --- charts -----------------------------------------------------------------------------------


def line_chart(
    chart_id: str, title: str, series: dict[str, list[tuple[date, float]]]
) -> SafeString | None:
    """Levels over time, one line per network (None: nothing to draw); the description says
    where each line starts and ends."""
    if not series:
        return None
    days = [d for points in series.values() for d, _v in points]
    span = (max(days) - min(days)).days
    words = "; ".join(_level_words(p, points) for p, points in series.items()) + "."
    svg = charts.line_chart(
        charts.Labels(chart_id, title, words),
        [charts.Series(network_label(p), points, style_of(p)) for p, points in series.items()],
        format_x=lambda d: short_day(d, span),
        format_y=lambda v: grouped(v),
    )
    return mark_safe(svg)  # noqa: S308 - ElementTree escaped every text of it


def _level_words(platform: str, points: list[tuple[date, float]]) -> str:
    (first_day, first), (last_day, last) = points[0], points[-1]
    values = {
        "network": network_label(platform),
        "first": grouped(first),
        "start": date_format(first_day, "DATE_FORMAT"),
        "last": grouped(last),
        "end": date_format(last_day, "DATE_FORMAT"),
    }
    if len(points) == 1:
        return _("%(network)s: %(last)s on %(end)s") % values
    return _("%(network)s: %(first)s on %(start)s, %(last)s on %(end)s") % values


def bar_chart(chart_id: str, title: str, bars: list[charts.Bar]) -> SafeString | None:
    """Bars with their values written (None: nothing to draw); the description lists them."""
    if not bars:
        return None
    words = "; ".join(f"{bar.label}: {bar.text}" for bar in bars) + "."
    svg = charts.bar_chart(charts.Labels(chart_id, title, words), bars)
    return mark_safe(svg)  # noqa: S308 - ElementTree escaped every text of it


# --- the overview -----------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    template: str,
    tables_: Sequence[DataTable],
    filters: Filters,
    file_stem: str,
    context: dict[str, Any],
) -> HttpResponse:
    tables.with_csv_links(tables_, filters.query)
    wanted = request.GET.get("csv")
    if wanted:
        return tables.csv_response(tables_, wanted, file_stem)
    return render(request, template, {"org": request.organisation, **context})  # type: ignore[attr-defined]


def _stem(org: Any, name: str, period: Period) -> str:
    parts = [org.slug, name]
    if period.start or period.end:
        parts.append(f"{period.start or ''}_{period.end or ''}")
    return "-".join(parts)


@org_view(min_role=Role.VIEWER)
def index(request: HttpRequest) -> HttpResponse:
    """Followers per network over time, engagement per post and clicks per network, the
    channels, the campaigns and the imported files."""
    org = request.organisation  # type: ignore[attr-defined]
    today = timezone.localdate()
    channels = list(Channel.objects.filter(organisation=org))
    networks = by_platform_order({c.platform for c in channels})
    form, filters = read_filters(request, today, networks)
    chosen = [c for c in channels if not filters.network or c.platform == filters.network]
    period = filters.period
    followers = figures.followers_by_network(chosen, period)
    per_network = figures.network_figures(
        figures.posts_in(chosen, period),
        figures.clicks_in(org, period, [filters.network] if filters.network else None),
    )
    shown = by_platform_order(
        {c.platform for c in chosen} | (set(per_network) if not filters.network else set())
    )
    followers_table = _followers_table(followers)
    engagement_table = _engagement_table(shown, per_network)
    clicks_table = _clicks_table(shown, per_network)
    channel_table = _channel_table(org, chosen, per_network, period)
    campaign_table = _campaign_table(org)
    import_table = _import_table(org)
    all_tables = [
        followers_table,
        engagement_table,
        clicks_table,
        channel_table,
        campaign_table,
        import_table,
    ]
    engagement_bars = [
        charts.Bar(
            network_label(p),
            per_network[p].per_post(Metric.ENGAGEMENTS),
            _per_post_text(per_network[p]),
            style_of(p),
        )
        for p in shown
        if p in per_network and per_network[p].posts
    ]
    clicks_bars = [_clicks_bar(p, per_network.get(p)) for p in shown]
    clicks_bars = [b for b in clicks_bars if b.value is not None or b.text == _("not measured")]
    return _page(
        request,
        "insights/index.html",
        all_tables,
        filters,
        _stem(org, "insights", period),
        {
            "form": form,
            "quick_periods": quick_periods(today, filters.network),
            "followers": followers_table,
            "followers_chart": line_chart("chart-followers", followers_table.caption, followers),
            "no_followers": [network_label(p) for p in shown if p not in followers],
            "engagement": engagement_table,
            "engagement_chart": bar_chart(
                "chart-engagement", engagement_table.caption, engagement_bars
            ),
            "clicks": clicks_table,
            "clicks_chart": bar_chart("chart-clicks", clicks_table.caption, clicks_bars),
            "channels": channel_table,
            "campaigns": campaign_table,
            "imports": import_table,
            "kinds_note": KINDS_NOTE,
            "can_import": request.membership.can(Role.EDITOR),  # type: ignore[attr-defined]
        },
    )


def _followers_table(series: dict[str, list[tuple[date, float]]]) -> DataTable:
    networks = list(series)
    days = sorted({d for points in series.values() for d, _v in points})
    values = {p: dict(points) for p, points in series.items()}
    return DataTable(
        "followers",
        _("Followers per network"),
        [Column(_("Day"))] + [Column(network_label(p), numeric=True) for p in networks],
        [
            [tables.day(d)] + [tables.number(values[p].get(d)) for p in networks]
            for d in reversed(days)
        ],
        empty=_("No follower count in this period."),
    )


def _per_post_text(figures_: NetworkFigures | None) -> str:
    value = figures_.per_post(Metric.ENGAGEMENTS) if figures_ else None
    if value is None:
        return _("no figure")
    return ngettext("%(n)s engagement per post", "%(n)s engagements per post", round(value)) % {
        "n": grouped(value, 1)
    }


def _engagement_table(shown: list[str], per_network: dict[str, NetworkFigures]) -> DataTable:
    rows = []
    for p in shown:
        found = per_network.get(p, NetworkFigures())
        kind = platform_kind(p, Metric.ENGAGEMENTS, found)
        rows.append(
            [
                tables.text(network_label(p)),
                tables.number(found.posts),
                figure(found.values.get(Metric.ENGAGEMENTS), kind),
                figure(found.per_post(Metric.ENGAGEMENTS), kind, 1),
            ]
        )
    return DataTable(
        "engagement",
        _("Engagement per post, per network"),
        [
            Column(_("Network")),
            Column(_("Posts published"), numeric=True),
            Column(_("Engagements"), numeric=True, with_kind=True),
            Column(_("Engagements per post"), numeric=True, with_kind=True),
        ],
        rows,
        empty=_("No post in this period."),
        note=str(
            _(
                "Each post's latest figures, for the posts published in the period. Engagements: "
                "as the platform counts them, else likes + comments + shares (+ quotes)."
            )
        ),
    )


def _clicks_kind(p: str, found: NetworkFigures | None) -> tuple[float | None, str]:
    if found is not None and Metric.CLICKS in found.values:
        return found.values[Metric.CLICKS], found.kinds[Metric.CLICKS]
    return None, platform_kind(p, Metric.CLICKS)


def _clicks_bar(p: str, found: NetworkFigures | None) -> charts.Bar:
    value, kind = _clicks_kind(p, found)
    if value is None:
        text = _("not measured") if kind == MetricKind.ABSENT else _("no figure")
    else:
        text = grouped(value) + (f" ({dict(KindChoice.choices)[kind]})" if kind == "proxy" else "")
    return charts.Bar(network_label(p), value, text, style_of(p))


def _clicks_table(shown: list[str], per_network: dict[str, NetworkFigures]) -> DataTable:
    rows = []
    for p in shown:
        value, kind = _clicks_kind(p, per_network.get(p))
        how = (
            _("clicks on envol's short links")
            if kind == MetricKind.PROXY
            else _("the platform's count")
            if kind == MetricKind.EXACT
            else _("not measured by the platform")
        )
        rows.append([tables.text(network_label(p)), figure(value, kind), tables.text(how)])
    return DataTable(
        "clicks",
        _("Clicks per network"),
        [Column(_("Network")), Column(_("Clicks"), numeric=True, with_kind=True), Column(_("How"))],
        rows,
        empty=_("No click in this period."),
        note=str(
            _(
                "Link clicks of the posts published in the period, as the platform counts them; "
                "where it gives none, the clicks on envol's own short links of the period "
                "(a proxy: a lower bound)."
            )
        ),
    )


def _channel_table(
    org: Any, channels: list[Channel], per_network: dict[str, NetworkFigures], period: Period
) -> DataTable:
    posts = dict(
        figures.posts_in(channels, period)
        .values("channel_id")
        .annotate(n=Count("pk"))
        .values_list("channel_id", "n")
    )
    rows = []
    for channel in sorted(channels, key=lambda c: (style_of(c.platform), c.name)):
        rows.append(
            [
                tables.text(network_label(channel.platform)),
                tables.text(
                    channel.name or _("(unnamed)"),
                    reverse("insights:channel", kwargs={"org": org.slug, "channel_id": channel.pk}),
                ),
                tables.number(figures.latest_level(channel, Metric.FOLLOWERS, period.end)),
                tables.number(posts.get(channel.pk, 0)),
            ]
        )
    return DataTable(
        "accounts",
        _("Accounts and pages"),
        [
            Column(_("Network")),
            Column(_("Account")),
            Column(_("Followers"), numeric=True),
            Column(_("Posts in the period"), numeric=True),
        ],
        rows,
        empty=_("No account yet: connect one, or import a platform's export."),
    )


def _campaign_table(org: Any) -> DataTable:
    rows = []
    for campaign in org.campaigns.all()[:50]:
        report = services.campaign_report(campaign)
        rows.append(
            [
                tables.text(
                    campaign.name,
                    reverse(
                        "insights:campaign", kwargs={"org": org.slug, "campaign_id": campaign.pk}
                    ),
                ),
                tables.day(campaign.starts_on),
                tables.day(campaign.ends_on),
                tables.text(" ".join(f"#{t}" for t in campaign.tags)),
                tables.number(report.total_views),
            ]
        )
    return DataTable(
        "campaigns",
        _("Campaigns"),
        [
            Column(_("Campaign")),
            Column(_("From")),
            Column(_("To")),
            Column(_("Hashtags")),
            Column(_("Total views"), numeric=True),
        ],
        rows,
        empty=_("No campaign yet: create one with envol insights campaign."),
    )


def _import_table(org: Any) -> DataTable:
    rows = []
    for item in MetricsImport.objects.filter(organisation=org)[:50]:
        rows.append(
            [
                tables.text(item.file_name),
                tables.text(item.get_platform_display()),
                tables.text(item.get_kind_display()),
                tables.day(item.period_start),
                tables.day(item.period_end),
                tables.number(item.rows),
                tables.number(item.new),
                tables.number(item.updated),
                tables.text(" ".join(item.warnings)),
            ]
        )
    return DataTable(
        "imports",
        _("Imported exports"),
        [
            Column(_("File")),
            Column(_("Platform")),
            Column(_("Kind")),
            Column(_("From")),
            Column(_("To")),
            Column(_("Rows"), numeric=True),
            Column(_("New"), numeric=True),
            Column(_("Updated"), numeric=True),
            Column(_("Warnings")),
        ],
        rows,
        empty=_("Nothing imported yet."),
    )


# --- one channel ------------------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def channel(request: HttpRequest, channel_id: int) -> HttpResponse:
    """One account or page: its followers over time, its posts with their latest figures, and
    the platform's own daily figures."""
    org = request.organisation  # type: ignore[attr-defined]
    found = get_object_or_404(Channel, pk=channel_id, organisation=org)
    today = timezone.localdate()
    form, filters = read_filters(request, today, None)
    period = filters.period
    levels = {
        metric: dict(figures.level_series([found], metric, period).get(found.pk, []))
        for metric in (Metric.FOLLOWERS, Metric.FOLLOWING, Metric.POSTS)
    }
    level_table = _level_table(levels)
    posts_table = _posts_table(found, period)
    days = figures.daily_flows(found, period)
    daily_table = _daily_table(found.platform, days)
    followers = sorted(levels[Metric.FOLLOWERS].items())
    daily_metric = _headline_metric(found.platform, days)
    return _page(
        request,
        "insights/channel.html",
        [level_table, posts_table, daily_table],
        filters,
        _stem(org, f"{found.platform}-{found.pk}", period),
        {
            "channel": found,
            "readings": SnapshotJob.objects.filter(account_id=found.connected_account_id).first()
            if found.connected_account_id
            else None,
            "can_change_readings": request.membership.can(Role.ADMIN),  # type: ignore[attr-defined]
            "network": network_label(found.platform),
            "form": form,
            "quick_periods": quick_periods(today, ""),
            "levels": level_table,
            "followers_chart": line_chart(
                "chart-followers", _("Followers"), {found.platform: followers} if followers else {}
            ),
            "posts": posts_table,
            "daily": daily_table,
            "daily_chart": line_chart(
                "chart-daily",
                _("%(metric)s per day") % {"metric": metric_label(daily_metric)},
                {
                    found.platform: [
                        (d, v[daily_metric][0])
                        for d, v in sorted(days.items())
                        if daily_metric in v
                    ]
                },
            )
            if daily_metric
            else None,
            "kinds_note": KINDS_NOTE,
        },
    )


def _level_table(levels: dict[Metric, dict[date, float]]) -> DataTable:
    days = sorted({d for values in levels.values() for d in values}, reverse=True)
    metrics = [m for m in levels if levels[m]] or [Metric.FOLLOWERS]
    return DataTable(
        "followers",
        _("Followers, following and posts, as read each day"),
        [Column(_("Day"))] + [Column(metric_label(m), numeric=True) for m in metrics],
        [[tables.day(d)] + [tables.number(levels[m].get(d)) for m in metrics] for d in days],
        empty=_("No count read in this period."),
    )


def _metric_columns(platform: str, present: set[str]) -> list[str]:
    """The metrics the platform measures and the data holds, in envol's order."""
    kinds = kinds_for(platform)
    return [m for m in POST_METRICS if m in present and kinds.kind(m) != MetricKind.ABSENT]


def _kind_header(platform: str, metric: str) -> Column:
    label = metric_label(metric)
    if kinds_for(platform).kind(metric) == MetricKind.PROXY:
        label = _("%(metric)s (proxy)") % {"metric": label}
    return Column(label, numeric=True)


def _posts_table(channel: Channel, period: Period) -> DataTable:
    posts = list(
        figures.posts_in([channel], period)
        .order_by("-published_at", "-pk")
        .values_list("pk", "published_on", "text", "url", "remote_id")
    )
    latest = figures.latest_values(p[0] for p in posts)
    metrics = _metric_columns(channel.platform, {m for v in latest.values() for m in v})
    rows = []
    for pk, day, text, url, remote_id in posts:
        values = latest.get(pk, {})
        rows.append(
            [tables.day(day), _post_cell(text, url, remote_id)]
            + [tables.number(values[m][0] if m in values else None) for m in metrics]
        )
    return DataTable(
        "posts",
        _("Posts published in the period, with their latest figures"),
        [Column(_("Date")), Column(_("Post"))]
        + [_kind_header(channel.platform, m) for m in metrics],
        rows,
        empty=_("No post in this period."),
        shown_rows=SHOWN_POSTS,
    )


def _post_cell(text: str, url: str, remote_id: str) -> Cell:
    shown = Truncator(" ".join(text.split())).chars(90) or remote_id
    return Cell(text or remote_id, shown, href=url if url.startswith("https://") else "")


def _headline_metric(platform: str, days: dict[date, dict[str, tuple[float, str]]]) -> str:
    """The daily figure to draw: the platform's views (or what stands for them), else the
    first figure its daily files hold."""
    present = {m for values in days.values() for m in values}
    for metric in (*kinds_for(platform).views, *_metric_columns(platform, present)):
        if metric in present:
            return str(metric)
    return ""


def _daily_table(platform: str, days: dict[date, dict[str, tuple[float, str]]]) -> DataTable:
    metrics = _metric_columns(platform, {m for v in days.values() for m in v})
    return DataTable(
        "daily",
        _("The platform's daily figures"),
        [Column(_("Day"))] + [_kind_header(platform, m) for m in metrics],
        [
            [tables.day(d)]
            + [
                tables.number(values[m][0] if m in values else None, 1 if m == "watch_hours" else 0)
                for m in metrics
            ]
            for d, values in sorted(days.items(), reverse=True)
        ],
        empty=_("No daily figure in this period (they come from the platforms' daily exports)."),
    )


# --- one campaign -----------------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Per network: views or impressions (where the platform gives them), engagements and
    clicks, each with its kind; the total views and which figure stood for each network's."""
    org = request.organisation  # type: ignore[attr-defined]
    found = get_object_or_404(Campaign, pk=campaign_id, organisation=org)
    report = services.campaign_report(found)
    networks = by_platform_order(report.networks)
    form, filters = read_filters(request, timezone.localdate(), networks, period=False)
    shown = [p for p in networks if not filters.network or p == filters.network]
    network_table = _campaign_networks(report, shown)
    posts_table = _campaign_posts(found, shown, report)
    basis = [
        _("%(network)s: %(metric)s")
        % {"network": network_label(p), "metric": dict(MetricChoice.choices)[m]}
        for p, m in sorted(report.views_basis.items(), key=lambda item: style_of(item[0]))
    ]
    return _page(
        request,
        "insights/campaign.html",
        [network_table, posts_table],
        filters,
        _stem(org, f"campaign-{found.pk}", Period()),
        {
            "campaign": found,
            "form": form,
            "total_views": report.total_views,
            "views_basis": basis,
            "networks": network_table,
            "views_chart": bar_chart(
                "chart-views", _("Views per network"), [_views_bar(report, p) for p in shown]
            ),
            "posts": posts_table,
            "kinds_note": KINDS_NOTE,
        },
    )


def _campaign_views(report: services.CampaignReport, p: str) -> tuple[float | None, str, str]:
    """(views, kind, the metric standing for views) of one network of the campaign."""
    found = report.networks[p]
    metric = report.views_basis.get(p)
    if metric is None:
        kind = MetricKind.ABSENT if not kinds_for(p).views else MetricKind.EXACT
        return None, kind, ""
    return found.values[metric], found.kinds.get(metric, MetricKind.EXACT), metric


def _share(value: float | None, total: float) -> float | None:
    return value * 100 / total if value is not None and total else None


def _views_bar(report: services.CampaignReport, p: str) -> charts.Bar:
    value, kind, _metric = _campaign_views(report, p)
    if value is None:
        text = _("not measured") if kind == MetricKind.ABSENT else _("no figure")
    else:
        share = _share(value, report.total_views)
        text = f"{grouped(value)} — {grouped(share or 0, 1)} %"
    return charts.Bar(network_label(p), value, text, style_of(p))


def _campaign_networks(report: services.CampaignReport, shown: list[str]) -> DataTable:
    rows = []
    for p in shown:
        found = report.networks[p]
        views, kind, metric = _campaign_views(report, p)
        share = _share(views, report.total_views)
        clicks, clicks_kind = _clicks_kind(p, found)
        rows.append(
            [
                tables.text(network_label(p)),
                tables.number(found.posts),
                figure(views, kind, say_exact=True),
                tables.text(str(dict(MetricChoice.choices)[metric]) if metric else "—"),
                tables.number(share, 1),
                figure(
                    found.values.get(Metric.ENGAGEMENTS),
                    platform_kind(p, Metric.ENGAGEMENTS, found),
                    say_exact=True,
                ),
                figure(clicks, clicks_kind, say_exact=True),
            ]
        )
    return DataTable(
        "networks",
        _("Per network"),
        [
            Column(_("Network")),
            Column(_("Posts"), numeric=True),
            Column(_("Views"), numeric=True, with_kind=True),
            Column(_("Counted as views")),
            Column(_("Share of the views (%)"), numeric=True),
            Column(_("Engagements"), numeric=True, with_kind=True),
            Column(_("Clicks"), numeric=True, with_kind=True),
        ],
        rows,
        empty=_("No post matches this campaign yet: import the platforms' exports of its period."),
    )


def _campaign_posts(
    campaign_: Campaign, shown: list[str], report: services.CampaignReport
) -> DataTable:
    posts = list(
        services.campaign_posts(campaign_)
        .filter(channel__platform__in=shown)
        .values_list("pk", "channel__platform", "published_on", "text", "url", "remote_id")
    )
    latest = figures.latest_values(p[0] for p in posts)
    rows = []
    for pk, platform, day, text, url, remote_id in posts:
        values = latest.get(pk, {})
        metric = report.views_basis.get(platform)
        views = values[metric][0] if metric and metric in values else None
        rows.append(
            (
                views or 0,
                [
                    tables.text(network_label(platform)),
                    tables.day(day),
                    _post_cell(text, url, remote_id),
                    tables.number(views),
                    tables.number(
                        values[Metric.ENGAGEMENTS][0] if Metric.ENGAGEMENTS in values else None
                    ),
                    tables.number(values[Metric.CLICKS][0] if Metric.CLICKS in values else None),
                ],
            )
        )
    rows.sort(key=lambda item: -item[0])
    return DataTable(
        "posts",
        _("The campaign's posts, most viewed first"),
        [
            Column(_("Network")),
            Column(_("Date")),
            Column(_("Post")),
            Column(_("Views"), numeric=True),
            Column(_("Engagements"), numeric=True),
            Column(_("Clicks"), numeric=True),
        ],
        [row for _views, row in rows],
        empty=_("No post matches this campaign yet."),
        shown_rows=20,
    )
