"""The ROI charts: static SVG from the same figures as the tables, unknown never drawn as zero,
named and described for screen readers; the same markup on the ROI page and in the report,
coloured by the charts' stylesheet in both (the drawing itself is tested in
envol/web/tests/test_charts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from envol.decide import report, roi, roi_charts
from envol.decide.tests.conftest import MARCH, seed_roi_fixture
from envol.orgs.models import Organisation, Role


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
    assert hours.count('class="chart__bar"') == 3  # Mastodon's unknown hours draw no bar
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
    assert "envol/charts.css" in page and "<style" not in page  # CSP: the sheet is linked
    assert "X : 15,0 h" in page  # French figures and typography on a French page
    html = report.render(org, *MARCH, fmt="html", lang="fr").decode()
    assert html.count('class="chart chart--') == 3 and "X : 12,7" in html
    assert "<style" not in html  # the HTML file links its stylesheet, the charts' included
    assert ".chart__series--0" in report.stylesheet("envol", "")
    pdf_html = report.render_html(org, *MARCH, lang="fr", for_pdf=True)
    assert pdf_html.count("<style>") == 3  # WeasyPrint draws an SVG with its own styles only
