"""Server-rendered, accessible SVG charts: a line chart over time and a bar chart per category.

Why envol draws its own (docs/architecture.md, "Charts"): the DSFR's chart components are
reserved to State sites and need JavaScript; issue 15 needs the same charts as static SVG in a
PDF. One code path here serves the web pages in both themes and, later, the PDF report.

Accessibility, by construction:
- `<svg role="img">` named by its `<title>` (aria-labelledby) and described by its `<desc>`
  (aria-describedby: a sentence the caller writes, the figures in words); the page puts the
  data table beside every chart — the table is the fallback without JavaScript (none is needed
  anyway) and for screen readers.
- Colour is never the only carrier: each series has its own dash pattern and marker shape, and
  is labelled directly at its end (with its marker); each bar has its label and value written
  next to it.
- Colours come from CSS classes (`chart__series--N`, styled by `static/envol/charts.css` with the
  theme's variables), so the same SVG follows the theme; `standalone=True` embeds that
  stylesheet, colours written out, for use outside a page (a PDF, a file).

Pure Python (no Django): the caller formats numbers and dates in the reader's language and
writes the title and description. ElementTree builds the markup, so every text is escaped.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

STYLESHEET = Path(__file__).resolve().parent / "static" / "envol" / "charts.css"
SVG_NS = "http://www.w3.org/2000/svg"
PALETTE_SIZE = 8  # chart__series--0 … --7 in charts.css
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 4", "1 2")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")
CHAR_WIDTH = 7.2  # average advance of a 13px system-ui glyph, to reserve room for labels
LINE_HEIGHT = 15


@dataclass(frozen=True)
class Series:
    """One line: a label (e.g. a network), its points, and its style index (0…): the same
    index gives the same colour, dash and marker in every chart of a page. A None point is
    unknown: the line breaks there (a gap, never a zero)."""

    label: str
    points: Sequence[tuple[date, float | None]]
    style: int = 0


@dataclass(frozen=True)
class Bar:
    """One bar: `value` None draws no bar (not measured), `text` is what is written after it
    ("740 000 — 44 %", "— not measured")."""

    label: str
    value: float | None
    text: str
    style: int = 0


@dataclass(frozen=True)
class Labels:
    """The chart's accessible name and description (required), and its id on the page."""

    chart_id: str
    title: str
    description: str


def line_chart(
    labels: Labels,
    series: Sequence[Series],
    *,
    format_x: Callable[[date], str],
    format_y: Callable[[float], str],
    width: int = 360,
    height: int = 240,
    standalone: bool = False,
) -> str:
    """Lines over time, each labelled at its last point with its marker, label and value."""
    svg = _svg(labels, "line", width, height, standalone)
    drawn = [s for s in series if _known(s.points)]
    if not drawn:
        return _markup(svg)
    xs = [x for s in drawn for x, _ in _known(s.points)]
    ys = [y for s in drawn for _, y in _known(s.points)]
    lo, hi, ticks = nice_scale(min(ys), max(ys))
    y_labels = [format_y(t) for t in ticks]
    end_labels = [f"{s.label} {format_y(_known(s.points)[-1][1])}" for s in drawn]
    left = 8 + _text_width(max(y_labels, key=len))
    right = 26 + _text_width(max(end_labels, key=len))
    top, bottom = 12, 30
    plot_w, plot_h = max(width - left - right, 40), height - top - bottom
    first, last = min(xs), max(xs)
    span = max((last - first).days, 1)

    def px(day: date) -> float:
        return left + plot_w * ((day - first).days / span if last != first else 0.5)

    def py(value: float) -> float:
        return top + plot_h * (1 - (value - lo) / (hi - lo))

    grid = ET.SubElement(svg, "g", {"class": "chart__grid"})
    for tick, text in zip(ticks, y_labels, strict=True):
        y = py(tick)
        _line(grid, left, y, left + plot_w, y)
        _text(grid, left - 6, y + 4, text, anchor="end", cls="chart__tick")
    axis = ET.SubElement(svg, "g", {"class": "chart__axis"})
    _line(axis, left, top + plot_h, left + plot_w, top + plot_h)
    label_w = max(_text_width(format_x(d)) for d in (first, last))
    # The first label starts at its tick, the last ends at it, the others are centred on theirs.
    for day in date_ticks(first, last, int(plot_w // (1.5 * label_w + 12)) + 1):
        x = px(day)
        _line(axis, x, top + plot_h, x, top + plot_h + 4)
        anchor = "start" if day == first else "end" if day == last else "middle"
        _text(axis, x, top + plot_h + 18, format_x(day), anchor=anchor, cls="chart__tick")
    ends: list[tuple[float, Series, str]] = []
    for one, end_label in zip(drawn, end_labels, strict=True):
        group = ET.SubElement(svg, "g", {"class": f"chart__series {_style(one.style)}"})
        for run in _runs(one.points):
            if len(run) < 2:
                continue
            attrs = {
                "class": "chart__line",
                "points": " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in run),
            }
            if DASHES[one.style % len(DASHES)]:
                attrs["stroke-dasharray"] = DASHES[one.style % len(DASHES)]
            ET.SubElement(group, "polyline", attrs)
        points = [(px(x), py(y)) for x, y in _known(one.points)]
        shown = points if len(points) <= 16 else [points[0], points[-1]]
        for x, y in shown:
            _marker(group, one.style, x, y)
        ends.append((points[-1][1], one, end_label))
    for y, one, text in spread(ends, top + 4, top + plot_h, LINE_HEIGHT):
        group = ET.SubElement(svg, "g", {"class": f"chart__series {_style(one.style)}"})
        x = left + plot_w + 10
        _marker(group, one.style, x + 4, y - 4)
        _text(group, x + 13, y, text, cls="chart__label")
    return _markup(svg)


def bar_chart(
    labels: Labels,
    bars: Sequence[Bar],
    *,
    width: int = 360,
    standalone: bool = False,
) -> str:
    """Horizontal bars (they fit a phone): each bar's label above it, its text after it."""
    row = LINE_HEIGHT + 22 + 10
    height = max(len(bars), 1) * row + 6
    svg = _svg(labels, "bar", width, height, standalone)
    measured = [b.value for b in bars if b.value is not None]
    top_value = max(measured, default=0) or 1
    room = max((_text_width(b.text) for b in bars), default=0) + 10
    plot_w = max(width - room - 2, 40)
    for index, bar in enumerate(bars):
        y = index * row + LINE_HEIGHT
        group = ET.SubElement(svg, "g", {"class": f"chart__series {_style(bar.style)}"})
        _text(group, 0, y, bar.label, cls="chart__label chart__label--strong")
        length = 0.0
        if bar.value is not None:
            length = max(plot_w * bar.value / top_value, 1.5 if bar.value > 0 else 0)
            ET.SubElement(
                group,
                "rect",
                {
                    "class": "chart__bar",
                    "x": "0",
                    "y": f"{y + 5:.1f}",
                    "width": f"{length:.1f}",
                    "height": "22",
                },
            )
        _text(group, length + 6, y + 21, bar.text, cls="chart__label")
    return _markup(svg)


def _known(points: Sequence[tuple[date, float | None]]) -> list[tuple[date, float]]:
    return [(day, value) for day, value in points if value is not None]


def _runs(points: Sequence[tuple[date, float | None]]) -> list[list[tuple[date, float]]]:
    """The runs of known points: an unknown one ends a run (the line breaks, it never dips)."""
    runs: list[list[tuple[date, float]]] = [[]]
    for day, value in points:
        if value is None:
            runs.append([])
        else:
            runs[-1].append((day, value))
    return [run for run in runs if run]


def standalone_stylesheet() -> str:
    """charts.css as a standalone SVG carries it, drawn alike by browsers and by WeasyPrint (the
    PDF report), whose SVG drawing resolves no CSS custom property (`fill: var(--series)` draws
    black) and sizes nothing by CSS (the page's `.chart` width rule blanks the drawing): each
    `var(--x, fallback)` becomes its fallback (envol's own colours), each series class gets its
    colour written out, and the page's sizing rule is left to the page."""
    css = STYLESHEET.read_text(encoding="utf-8")
    css = re.sub(r"^\.chart \{[^}]*\}\n", "", css, flags=re.MULTILINE)
    css = re.sub(r"var\(--[\w-]+, (#[0-9a-fA-F]{3,6})\)", r"\1", css)
    colours = re.findall(r"\.chart__series--(\d+) \{ --series: (#[0-9a-fA-F]{6}); \}", css)
    return css + "".join(
        f".chart__series--{n} .chart__line {{ stroke: {colour}; }}\n"
        f".chart__series--{n} .chart__marker, .chart__series--{n} .chart__bar "
        f"{{ fill: {colour}; }}\n"
        for n, colour in colours
    )


# --- scales ------------------------------------------------------------------------------------


def nice_scale(low: float, high: float, count: int = 4) -> tuple[float, float, list[float]]:
    """Round bounds and about `count` round ticks covering [low, high]. Starts at zero unless
    the values sit far from it (followers: 10 200 → 10 900 would be a flat line from zero)."""
    if low >= 0 and (low <= high * 0.5 or low == high):
        low = 0.0
    if high == low:
        high = low + (abs(low) or 1)
    step = _nice_step((high - low) / count)
    start = math.floor(low / step) * step
    end = math.ceil(high / step) * step
    ticks = [start + i * step for i in range(round((end - start) / step) + 1)]
    return start, end, [round(t, 10) for t in ticks]


def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def date_ticks(first: date, last: date, most: int) -> list[date]:
    """The first and last day, and evenly spaced days between, at most `most` in all."""
    days = (last - first).days
    count = max(min(most, days + 1), 1)
    if count == 1:
        return [first]
    return sorted({first + (last - first) * i / (count - 1) for i in range(count)})


def spread(
    items: Sequence[tuple[float, Series, str]], low: float, high: float, gap: float
) -> list[tuple[float, Series, str]]:
    """Move end labels apart vertically (at least `gap`) while keeping their order and bounds."""
    ordered = sorted(items, key=lambda item: item[0])
    placed: list[float] = []
    for y, _one, _text in ordered:
        placed.append(max(y + 4, placed[-1] + gap if placed else low))
    overflow = (placed[-1] - high) if placed else 0
    if overflow > 0:
        placed = [max(y - overflow, low + i * gap) for i, y in enumerate(placed)]
    return [(y, one, text) for y, (_, one, text) in zip(placed, ordered, strict=True)]


# --- markup ------------------------------------------------------------------------------------


def _svg(labels: Labels, kind: str, width: int, height: int, standalone: bool) -> ET.Element:
    title_id, desc_id = f"{labels.chart_id}-title", f"{labels.chart_id}-desc"
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "class": f"chart chart--{kind}",
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "role": "img",
            "aria-labelledby": title_id,
            "aria-describedby": desc_id,
            "id": labels.chart_id,
        },
    )
    if standalone:
        ET.SubElement(svg, "style").text = standalone_stylesheet()
    ET.SubElement(svg, "title", {"id": title_id}).text = labels.title
    ET.SubElement(svg, "desc", {"id": desc_id}).text = labels.description
    return svg


def _markup(svg: ET.Element) -> str:
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)


def _style(index: int) -> str:
    return f"chart__series--{index % PALETTE_SIZE}"


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _line(parent: ET.Element, x1: float, y1: float, x2: float, y2: float) -> None:
    ET.SubElement(
        parent, "line", {"x1": f"{x1:.1f}", "y1": f"{y1:.1f}", "x2": f"{x2:.1f}", "y2": f"{y2:.1f}"}
    )


def _text(
    parent: ET.Element, x: float, y: float, text: str, *, anchor: str = "start", cls: str = ""
) -> None:
    attrs = {"x": f"{x:.1f}", "y": f"{y:.1f}"}
    if anchor != "start":
        attrs["text-anchor"] = anchor
    if cls:
        attrs["class"] = cls
    ET.SubElement(parent, "text", attrs).text = text


def _marker(parent: ET.Element, style: int, x: float, y: float, size: float = 4.0) -> None:
    shape = MARKERS[style % len(MARKERS)]
    s = size
    if shape == "circle":
        attrs = {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": f"{s:.1f}"}
        ET.SubElement(parent, "circle", {"class": "chart__marker", **attrs})
        return
    outlines = {
        "square": [(-s, -s), (s, -s), (s, s), (-s, s)],
        "triangle": [(0, -s * 1.2), (s * 1.1, s * 0.9), (-s * 1.1, s * 0.9)],
        "triangle-down": [(0, s * 1.2), (s * 1.1, -s * 0.9), (-s * 1.1, -s * 0.9)],
        "diamond": [(0, -s * 1.3), (s * 1.1, 0), (0, s * 1.3), (-s * 1.1, 0)],
        "cross": [
            (-s, -s / 3),
            (-s / 3, -s / 3),
            (-s / 3, -s),
            (s / 3, -s),
            (s / 3, -s / 3),
            (s, -s / 3),
            (s, s / 3),
            (s / 3, s / 3),
            (s / 3, s),
            (-s / 3, s),
            (-s / 3, s / 3),
            (-s, s / 3),
        ],
    }[shape]
    points = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in outlines)
    ET.SubElement(parent, "polygon", {"class": "chart__marker", "points": points})
