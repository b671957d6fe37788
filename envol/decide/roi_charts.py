"""The ROI charts, shared by the ROI page and the report: where the hours go, what an hour brings
(interactions per hour: the one engagement figure every network defines alike, beside the X
baseline), and that ratio month by month. Figures in the reader's language; unknown is said in
words ("unknown"), never drawn as a zero bar. Drawn by `envol.web.charts`, like the insights
pages: the ROI page and the report's HTML file link their stylesheet (the CSP refuses inline
styles); the PDF's charts are standalone (each carries it: WeasyPrint draws an inline SVG with
its own styles only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from envol.decide.models import NetworkChoice
from envol.decide.networks import ORDER
from envol.decide.roi import NetworkROI, PeriodROI
from envol.web import charts


def _label(code: str) -> str:
    return str(NetworkChoice(code).label)


def _number(value: float, places: int = 0) -> str:
    if places == 0:
        return number_format(round(value), force_grouping=True)
    return number_format(round(value, places), places, force_grouping=True)


def _described(bars: Sequence[charts.Bar]) -> str:
    return (
        "; ".join(_("%(label)s: %(text)s") % {"label": b.label, "text": b.text} for b in bars) + "."
    )


@dataclass(frozen=True)
class Chart:
    """A chart and its title, written above it (an SVG's own title is not drawn)."""

    title: str
    svg: SafeString


def _chart(markup: str) -> SafeString:
    return mark_safe(markup)  # noqa: S308 — ElementTree escaped every text


def hours_chart(period: PeriodROI, *, standalone: bool = False) -> Chart:
    bars = []
    for code, n in period.networks.items():
        text = _("%(hours)s h") % {"hours": _number(n.hours, 1)} if n.hours else _("unknown")
        bars.append(charts.Bar(_label(code), n.hours or None, text, ORDER[code]))
    title = _("Hours spent per network")
    labels = charts.Labels("chart-hours", title, _described(bars))
    return Chart(title, _chart(charts.bar_chart(labels, bars, standalone=standalone)))


def per_hour_chart(
    period: PeriodROI, baseline: NetworkROI | None, *, standalone: bool = False
) -> Chart:
    rows: list[tuple[str, NetworkROI]] = [(_label(code), n) for code, n in period.networks.items()]
    if baseline is not None:
        rows.append((_("X, baseline (last six months)"), baseline))
    bars = []
    for label, n in rows:
        value = n.per_hour("interactions")
        text = _number(value, 1) if value is not None else _("unknown")
        bars.append(charts.Bar(label, value, text, ORDER[n.network]))
    title = _("Interactions (likes, comments, shares) per hour spent")
    labels = charts.Labels("chart-per-hour", title, _described(bars))
    return Chart(title, _chart(charts.bar_chart(labels, bars, standalone=standalone)))


def trend_chart(months: Sequence[PeriodROI], *, standalone: bool = False) -> Chart:
    codes = list(dict.fromkeys(code for m in months for code in m.networks))
    series = [
        charts.Series(
            _label(code),
            [
                (m.start, m.networks[code].per_hour("interactions") if code in m.networks else None)
                for m in months
            ],
            ORDER[code],
        )
        for code in codes
    ]
    said = []
    for one in series:
        known = [v for _, v in one.points if v is not None]
        if known:
            said.append(
                _("%(network)s from %(first)s to %(last)s")
                % {
                    "network": one.label,
                    "first": _number(known[0], 1),
                    "last": _number(known[-1], 1),
                }
            )
    title = _("Interactions per hour, month by month")
    description = ("; ".join(said) + ".") if said else _("Nothing measured yet.")
    markup = charts.line_chart(
        charts.Labels("chart-trend", title, description),
        series,
        format_x=_month,
        format_y=lambda v: _number(v) if v == int(v) else _number(v, 1),
        standalone=standalone,
    )
    return Chart(title, _chart(markup))


def _month(day: date) -> str:
    return date_format(day, "M Y")


def all_charts(
    period: PeriodROI,
    baseline: NetworkROI | None,
    months: Sequence[PeriodROI],
    *,
    standalone: bool = False,
) -> list[Chart]:
    """The three charts; `standalone` for the report (each SVG carries its stylesheet)."""
    if not period.networks:
        return []
    return [
        hours_chart(period, standalone=standalone),
        per_hour_chart(period, baseline, standalone=standalone),
        trend_chart(months, standalone=standalone),
    ]
