"""Static SVG charts for the decision pages and the report: the same markup in the web page and
in the PDF (WeasyPrint draws inline SVG), computed on the server from the ROI figures.

Pure Python (no Django, import-linter enforces it): the caller formats numbers in the reader's
language and writes the title and the description. Accessible by construction: `role="img"`,
named by its `<title>`, described by its `<desc>` (the figures in words), the data table is on
the same page; colour is never the only carrier (every bar and line is labelled in words, lines
have their own dash pattern). Colours are SVG presentation attributes, not `style` (the CSP
refuses inline styles), each at least 3:1 against white (WCAG 1.4.11); texts take the page's
colour (`currentColor`).

(The insights pages draw their charts with `envol/web/charts.py` on another branch; once both
are merged, these two functions can move onto it — the inputs are the same: labelled bars and
dated series.)
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

COLOURS = (  # one per network of decide.networks, in its order
    "#1b4f72",
    "#a04000",
    "#1e6b34",
    "#6a1b9a",
    "#8a1c1c",
    "#00695c",
    "#4e342e",
    "#37474f",
    "#7a5c00",
    "#ad1457",
    "#3949ab",
)
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4", "3 6")
CHAR_WIDTH = 6.6  # mean advance of a 12 px sans-serif glyph, to keep labels inside the box
FONT_SIZE = "12"


@dataclass(frozen=True)
class Bar:
    """One bar: `value` None draws no bar (unknown); `text` is written after it."""

    label: str
    value: float | None
    text: str
    style: int = 0  # the same index gives the same colour in every chart of a page


@dataclass(frozen=True)
class Series:
    """One line over months: a None point is a gap (unknown), never a zero."""

    label: str
    points: Sequence[tuple[date, float | None]]
    style: int = 0


def bar_chart(
    chart_id: str, title: str, description: str, bars: Sequence[Bar], *, width: int = 360
) -> str:
    """Horizontal bars (they fit a phone): the label above each bar, its text after it."""
    row = 40
    height = 8 + row * max(len(bars), 1)
    svg = _svg(chart_id, title, description, width, height)
    known = [b.value for b in bars if b.value is not None and b.value > 0]
    top = max(known) if known else 1.0
    longest = max((_text_width(b.text) for b in bars), default=0)
    room = max(width - longest - 12, 40)
    for index, bar in enumerate(bars):
        y = 4 + index * row
        _text(svg, 0, y + 12, bar.label)
        length = room * (bar.value / top) if bar.value and bar.value > 0 else 0
        if length:
            ET.SubElement(
                svg,
                "rect",
                {
                    "x": "0",
                    "y": f"{y + 17}",
                    "width": f"{length:.1f}",
                    "height": "14",
                    "fill": COLOURS[bar.style % len(COLOURS)],
                },
            )
        _text(svg, length + 6, y + 29, bar.text)
    return _markup(svg)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    *,
    format_x: Callable[[date], str],
    format_y: Callable[[float], str],
    width: int = 360,
    height: int = 220,
) -> str:
    """Lines month by month, each named in a legend line under the plot (marker + dash)."""
    drawn = [s for s in series if any(v is not None for _, v in s.points)]
    legend_rows = len(drawn)
    svg = _svg(chart_id, title, description, width, height + 18 * legend_rows)
    days = sorted({d for s in series for d, _ in s.points})
    values = [v for s in drawn for _, v in s.points if v is not None]
    if not drawn or not days:
        return _markup(svg)
    top, steps = _nice_top(max(values))
    ticks = [top * i / steps for i in range(steps + 1)]
    left = 10 + max(_text_width(format_y(t)) for t in ticks)
    right, upper, lower = 12, 10, 28
    plot_w, plot_h = width - left - right, height - upper - lower
    span = max(len(days) - 1, 1)

    def px(day: date) -> float:
        return left + plot_w * (days.index(day) / span if len(days) > 1 else 0.5)

    def py(value: float) -> float:
        return upper + plot_h * (1 - value / top)

    for tick in ticks:
        y = py(tick)
        _line(svg, left, y, left + plot_w, y, "#d0d0d0")
        _text(svg, left - 4, y + 4, format_y(tick), anchor="end")
    for day in (days[0], days[-1]) if len(days) > 1 else (days[0],):
        anchor = "start" if day == days[0] and len(days) > 1 else "end"
        if len(days) == 1:
            anchor = "middle"
        _text(svg, px(day), upper + plot_h + 18, format_x(day), anchor=anchor)
    for index, one in enumerate(drawn):
        colour = COLOURS[one.style % len(COLOURS)]
        dash = DASHES[one.style % len(DASHES)]
        for segment in _segments(one.points):
            points = " ".join(f"{px(d):.1f},{py(v):.1f}" for d, v in segment)
            attrs = {"points": points, "fill": "none", "stroke": colour, "stroke-width": "2"}
            if dash:
                attrs["stroke-dasharray"] = dash
            ET.SubElement(svg, "polyline", attrs)
            for d, v in segment:
                ET.SubElement(
                    svg,
                    "circle",
                    {"cx": f"{px(d):.1f}", "cy": f"{py(v):.1f}", "r": "3", "fill": colour},
                )
        y = height + 4 + 18 * index
        attrs = {"x1": "0", "y1": f"{y}", "x2": "28", "y2": f"{y}", "stroke": colour}
        attrs["stroke-width"] = "2"
        if dash:
            attrs["stroke-dasharray"] = dash
        ET.SubElement(svg, "line", attrs)
        last = [v for _, v in one.points if v is not None][-1]
        _text(svg, 34, y + 4, f"{one.label} ({format_y(last)})")
    return _markup(svg)


def _segments(points: Sequence[tuple[date, float | None]]) -> list[list[tuple[date, float]]]:
    """Runs of known points: an unknown month breaks the line."""
    runs: list[list[tuple[date, float]]] = [[]]
    for day, value in points:
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((day, value))
    return [run for run in runs if run]


def _nice_top(value: float) -> tuple[float, int]:
    """The axis end (the smallest 1, 2, 2.5 or 5 × 10^n at or above `value`) and a number of
    intervals that makes round ticks (0, 10, 20… or 0, 0.5, 1…)."""
    if value <= 0:
        return 1.0, 5
    scale = 10.0 ** math.floor(math.log10(value))
    for step, intervals in ((1, 5), (2, 4), (2.5, 5), (5, 5), (10, 5)):
        if step * scale >= value * (1 - 1e-9):
            return step * scale, intervals
    return 10 * scale, 5


def _svg(chart_id: str, title: str, description: str, width: int, height: int) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "decide-chart",
            "id": chart_id,
            "role": "img",
            "aria-labelledby": f"{chart_id}-title",
            "aria-describedby": f"{chart_id}-desc",
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "font-family": "DejaVu Sans, Arial, sans-serif",
            "font-size": FONT_SIZE,
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    return svg


def _text(parent: ET.Element, x: float, y: float, text: str, *, anchor: str = "start") -> None:
    attrs = {"x": f"{x:.1f}", "y": f"{y:.1f}", "fill": "currentColor"}
    if anchor != "start":
        attrs["text-anchor"] = anchor
    ET.SubElement(parent, "text", attrs).text = text


def _line(parent: ET.Element, x1: float, y1: float, x2: float, y2: float, colour: str) -> None:
    ET.SubElement(
        parent,
        "line",
        {"x1": f"{x1:.1f}", "y1": f"{y1:.1f}", "x2": f"{x2:.1f}", "y2": f"{y2:.1f}"}
        | {"stroke": colour},
    )


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _markup(svg: ET.Element) -> str:
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)
