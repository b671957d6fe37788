"""The SVG charts: well-formed, named and described, colour never the only carrier, every text
escaped, colours with AA contrast in both themes, and standalone files for outside a page."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest

from envol.orgs.brand import contrast_ratio
from envol.web import charts

NS = {"svg": charts.SVG_NS}
STATIC = Path(charts.__file__).resolve().parent / "static" / "envol"
START = date(2025, 3, 1)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - envol's own output


def series(label: str, values: list[float], style: int) -> charts.Series:
    return charts.Series(
        label, [(START + timedelta(days=i), v) for i, v in enumerate(values)], style
    )


def line(*drawn: charts.Series, standalone: bool = False) -> str:
    return charts.line_chart(
        charts.Labels("c1", "Followers <per> network", "Bluesky: 100 → 130 & more"),
        drawn,
        format_x=lambda d: d.strftime("%d/%m"),
        format_y=lambda v: f"{v:,.0f}",
        standalone=standalone,
    )


def test_a_line_chart_is_an_image_named_and_described_with_escaped_texts() -> None:
    svg = line(series("Bluesky", [100, 110, 130], 0), series("<b>Mastodon</b>", [50, 52, 55], 1))
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title"
    assert root.get("aria-describedby") == "c1-desc"
    assert root.find("svg:title", NS).text == "Followers <per> network"  # type: ignore[union-attr]
    assert root.find("svg:desc", NS).get("id") == "c1-desc"  # type: ignore[union-attr]
    assert "<b>" not in svg and "&lt;b&gt;Mastodon&lt;/b&gt; 55" in svg
    assert "<script" not in svg and "style=" not in svg


def test_each_series_has_its_own_dashes_marker_and_direct_label() -> None:
    root = parse(line(series("Bluesky", [100, 130], 0), series("Mastodon", [50, 55], 1)))
    lines = root.findall(".//svg:polyline", NS)
    assert [x.get("stroke-dasharray") for x in lines] == [None, charts.DASHES[1]]
    groups = root.findall("svg:g", NS)
    classes = [g.get("class") for g in groups]
    assert (
        "chart__series chart__series--0" in classes and "chart__series chart__series--1" in classes
    )
    labels = [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert "Bluesky 130" in labels and "Mastodon 55" in labels
    circles = root.findall(".//svg:circle", NS)  # series 0's marker: circles
    polygons = root.findall(".//svg:polygon", NS)  # series 1's marker: squares
    assert circles and polygons


def test_a_bar_chart_writes_each_label_and_value_and_draws_no_bar_for_absent() -> None:
    root = parse(
        charts.bar_chart(
            charts.Labels("views", "Views per network", "Facebook 740,000; Bluesky absent"),
            [
                charts.Bar("Facebook", 740_000, "740,000 — 44 %", 3),
                charts.Bar("Bluesky", None, "not measured", 0),
                charts.Bar("X", 150_000, "150,000 — 9 %", 2),
            ],
        )
    )
    bars = root.findall(".//svg:rect", NS)
    assert len(bars) == 2
    widths = [float(b.get("width", 0)) for b in bars]
    assert widths[0] > widths[1] * 4.5  # proportional: 740,000 vs 150,000
    texts = [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert texts == ["Facebook", "740,000 — 44 %", "Bluesky", "not measured", "X", "150,000 — 9 %"]


def test_standalone_svg_carries_its_stylesheet() -> None:
    root = parse(line(series("Bluesky", [1, 2], 0), standalone=True))
    style = root.find("svg:style", NS)
    assert style is not None and ".chart__series--0" in (style.text or "")
    assert root.get("xmlns") is None  # ElementTree read it as the namespace: a valid SVG file


def test_empty_and_single_point_charts() -> None:
    assert parse(line()).get("role") == "img"
    one = parse(line(series("Bluesky", [42], 0)))
    assert not one.findall(".//svg:polyline", NS) and one.findall(".//svg:circle", NS)


def test_an_unknown_point_breaks_the_line_and_is_never_a_zero() -> None:
    gap = charts.Series(
        "Bluesky",
        [(START, 2.0), (START + timedelta(days=1), None), (START + timedelta(days=2), 4.0)],
    )
    root = parse(line(gap, series("Mastodon", [3, 5, 6], 1)))
    lines = root.findall(".//svg:polyline", NS)
    assert len(lines) == 1  # Bluesky has two runs of one point: no line, no dip to zero
    assert len(root.findall(".//svg:circle", NS)) == 3  # its two known points and its end label
    assert "Bluesky 4" in [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text")]  # last known
    only_unknown = charts.Series("X", [(START, None)], 2)
    assert "X" not in line(only_unknown).split("</desc>")[1]  # nothing to draw, nothing said


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 95, (0, 100, [0, 25, 50, 75, 100])),
        (10_200, 10_900, (10_200, 10_900, [10_200, 10_400, 10_600, 10_800, 11_000])),
        (5, 5, (0, 5, [0, 2, 4, 6])),
    ],
)
def test_nice_scale(low: float, high: float, expected: tuple[float, float, list[float]]) -> None:
    start, end, ticks = charts.nice_scale(low, high)
    assert ticks[0] <= low and ticks[-1] >= high and start == ticks[0] and end == ticks[-1]
    assert ticks == expected[2]


def test_end_labels_never_overlap() -> None:
    items = [(100.0, charts.Series(str(i), [], i), str(i)) for i in range(4)]
    placed = [y for y, _s, _t in charts.spread(items, 10, 200, charts.LINE_HEIGHT)]
    assert all(b - a >= charts.LINE_HEIGHT for a, b in itertools.pairwise(placed))


def test_a_standalone_svg_has_its_colours_written_out_for_weasyprint() -> None:
    css = charts.standalone_stylesheet()
    assert "var(--chart" not in css and "max-width" not in css.split(".chart-figure")[0]
    assert ".chart__series--0 .chart__line { stroke: #1b4f72; }" in css
    for n in range(charts.PALETTE_SIZE):
        assert f".chart__series--{n} .chart__marker, .chart__series--{n} .chart__bar" in css


def _chart_colours(css: str) -> dict[str, str]:
    return dict(re.findall(r"--chart-(\d)(?:, |: )(#[0-9a-f]{6})", css))


def test_chart_colours_reach_aa_contrast_in_both_themes() -> None:
    envol = _chart_colours((STATIC / "charts.css").read_text())
    assert len(envol) == charts.PALETTE_SIZE
    dsfr_css = (STATIC / "dsfr-extra.css").read_text()
    mapped = dict(re.findall(r"--chart-(\d): var\(--([a-z0-9-]+)\)", dsfr_css))
    assert len(mapped) == charts.PALETTE_SIZE
    from django.contrib.staticfiles import finders

    dsfr = Path(finders.find("dsfr/dist/dsfr.min.css") or "").read_text(encoding="utf-8")
    for index, variable in mapped.items():
        found = re.search(rf"--{variable}:(#[0-9a-fA-F]{{3,6}})", dsfr)
        assert found, variable
        value = found.group(1)
        if len(value) == 4:
            value = "#" + "".join(c * 2 for c in value[1:])
        envol[f"dsfr-{index}"] = value.lower()
    for name, colour in envol.items():
        assert contrast_ratio(colour, "#ffffff") >= 4.5, (name, colour)
