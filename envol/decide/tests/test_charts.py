"""The ROI charts: static SVG from the same figures as the tables, unknown never drawn as zero,
every text escaped, named and described for screen readers; the same markup on the ROI page
and in the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from envol.decide import charts, report, roi, roi_charts
from envol.decide.tests.conftest import MARCH, seed_roi_fixture
from envol.orgs.models import Organisation, Role

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_unknown_is_no_bar_and_texts_are_escaped() -> None:
    markup = charts.bar_chart(
        "c",
        "Title <b>",
        "Described",
        [charts.Bar("Bluesky <script>", 4.0, "4"), charts.Bar("X", None, "unknown")],
    )
    svg = ET.fromstring(markup)  # noqa: S314 — envol's own markup
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-title"
    assert svg.find(f"{SVG}title").text == "Title <b>"  # type: ignore[union-attr]
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert len(svg.findall(f"{SVG}rect")) == 1  # the unknown one draws nothing
    texts = [t.text for t in svg.findall(f"{SVG}text")]
    assert texts == ["Bluesky <script>", "4", "X", "unknown"]
    assert "style" not in markup  # CSP: no inline style


def test_line_breaks_on_an_unknown_month() -> None:
    points = [(date(2025, 1, 1), 2.0), (date(2025, 2, 1), None), (date(2025, 3, 1), 4.0)]
    svg = ET.fromstring(  # noqa: S314 — envol's own markup
        charts.line_chart("t", "T", "D", [charts.Series("A", points)], format_x=str, format_y=str)
    )
    # Two runs of one point each (a gap, never a zero), plus the legend's line.
    assert len(svg.findall(f"{SVG}polyline")) == 2
    assert len(svg.findall(f"{SVG}circle")) == 2


@pytest.mark.django_db
def test_figures_by_hand_on_the_page_and_in_the_report(
    org: Organisation, clients: dict[str, Client], tmp_path: Path
) -> None:
    seed_roi_fixture(org, tmp_path)
    period = roi.compute(org, *MARCH)
    with translation.override("en"):
        hours = roi_charts.hours_chart(period).svg
        per_hour = roi_charts.per_hour_chart(period, None).svg
    # Hours: X 6 + 4 + 5, Bluesky 8, LinkedIn 4, Mastodon none logged (unknown, no bar).
    assert "X: 15.0 h" in hours and "Bluesky: 8.0 h" in hours and "LinkedIn: 4.0 h" in hours
    assert "Mastodon: unknown" in hours
    # Interactions per hour: X (120 + 10 + 20 + 30 + 5 + 5) / 15 = 12.7; Bluesky's latest
    # snapshot (30 + 5 + 10) / 8 = 5.6; LinkedIn measured nothing.
    assert "X: 12.7" in per_hour and "Bluesky: 5.6" in per_hour
    assert "LinkedIn: unknown" in per_hour
    page = (
        clients[Role.VIEWER]
        .get(f"/o/{org.slug}/decide/roi/?start=2025-03-01&end=2025-03-31")
        .content.decode()
    )
    assert page.count('role="img"') == 3 and "<figcaption" in page
    assert "X : 15,0 h" in page  # French figures and typography on a French page
    html = report.render(org, *MARCH, fmt="html", lang="fr").decode()
    assert html.count('class="decide-chart"') == 3 and "X : 12,7" in html
