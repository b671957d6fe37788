"""The report for elected officials: a few pages read in five minutes, as a standalone HTML
document or a PDF (WeasyPrint), in French by default, in the organisation's look (envol's own
with its logo and colour; the State's DSFR colours and Marianne only when ENVOL_THEME=dsfr).

One template and one stylesheet serve both formats: the PDF is WeasyPrint's rendering of the
same HTML. The standalone HTML file carries its stylesheet and logo as `data:` URLs (it is opened
from disk, far from envol's server); the served pages never need that.
"""

from __future__ import annotations

import base64
import logging
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from envol.decide import assessments, decision
from envol.decide.models import Decision, NetworkChoice, Scenario
from envol.decide.questions import QUESTIONS
from envol.orgs.models import Organisation
from envol.web import charts

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one line per step
STATIC = Path(__file__).resolve().parent / "static" / "decide"


def stylesheet(theme: str, colour: str) -> str:
    """The report's CSS: the common sheet, the charts', the theme's accent, the organisation's
    colour."""
    css = (STATIC / "report.css").read_text(encoding="utf-8")
    css += charts.STYLESHEET.read_text(encoding="utf-8")
    if theme == "dsfr":
        css += (STATIC / "report-dsfr.css").read_text(encoding="utf-8")
        css += _marianne()
    elif colour:
        css += f"\n:root {{ --accent: {colour}; }}\n"
    return css


def _marianne() -> str:
    """Marianne, from django-dsfr's static files, for the DSFR theme only."""
    import dsfr

    fonts = Path(dsfr.__file__).resolve().parent / "static" / "dsfr" / "dist" / "fonts"
    faces = []
    for weight, name in ((400, "Marianne-Regular"), (700, "Marianne-Bold")):
        font = fonts / f"{name}.woff2"
        if font.is_file():
            data = base64.b64encode(font.read_bytes()).decode()
            faces.append(
                f"@font-face {{ font-family: Marianne; font-weight: {weight}; "
                f"src: url(data:font/woff2;base64,{data}) format('woff2'); }}"
            )
    return "\n".join(faces) + "\nbody { font-family: Marianne, Arial, sans-serif; }\n"


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _label(code: str) -> str:
    return str(NetworkChoice(code).label)


def context(
    org: Organisation,
    start: date,
    end: date,
    *,
    costs_visible: bool = True,
    standalone_charts: bool = False,
) -> dict[str, Any]:
    """Everything the report shows, computed once for both formats."""
    from envol.decide.views import roi_context
    from envol.insights import services as insights
    from envol.insights.models import Campaign
    from envol.orgs.models import OrganisationLogo

    sheets = decision.sheets(org, start, end)
    decided = {}
    for signed in Decision.objects.filter(organisation=org).order_by("signed_at", "pk"):
        decided[signed.network] = signed
    summary = [
        {
            "label": _label(s.network),
            "sheet": s,
            "roi": s.roi,
            "decision": decided.get(s.network),
        }
        for s in sheets
    ]
    grid = []
    for s in sheets:
        if s.assessment is None:
            continue
        scores = {a.question: a.score for a in s.assessment.answers.all()}
        grid.append(
            {
                "label": _label(s.network),
                "date": s.assessment.assessed_on,
                "scores": [scores.get(q.number) for q in QUESTIONS],
                "values": s.values,
                "impact": s.impact,
            }
        )
    campaigns = []
    for campaign in Campaign.objects.filter(organisation=org):
        if campaign.starts_on and campaign.starts_on > end:
            continue
        if campaign.ends_on and campaign.ends_on < start:
            continue
        found = insights.campaign_report(campaign)
        rows = sorted(
            (
                (
                    _label(network),
                    figures.values.get(found.views_basis.get(network, ""), None),
                    found.views_basis.get(network, ""),
                )
                for network, figures in found.networks.items()
            ),
            key=lambda row: -(row[1] or 0),
        )
        campaigns.append({"campaign": campaign, "rows": rows, "total": found.total_views})
    logo = OrganisationLogo.objects.filter(organisation=org).first()
    return {
        "org": org,
        "start": start,
        "end": end,
        "generated": timezone.localdate(),
        "summary": summary,
        "questions": QUESTIONS,
        "grid": grid,
        "weights": assessments.weights(org),
        "results": [
            (decision.evaluate(s, start, end), _label(s.from_network), _label(s.to_network))
            for s in Scenario.objects.filter(organisation=org)[:6]
        ],
        "campaigns": campaigns,
        "logo": _data_url("image/png", bytes(logo.png)) if logo else "",
        "dsfr": settings.ENVOL_THEME == "dsfr",
        **roi_context(
            org, start, end, costs_visible=costs_visible, standalone_charts=standalone_charts
        ),
    }


def render_html(
    org: Organisation,
    start: date,
    end: date,
    *,
    lang: str = "fr",
    costs_visible: bool = True,
    for_pdf: bool = False,
) -> str:
    """The report's HTML. Its charts take their colours from the linked stylesheet, except for
    the PDF: WeasyPrint draws an inline SVG with the SVG's own `<style>` only (and no `var()`),
    so there each chart is standalone."""
    with translation.override(lang):
        data = context(org, start, end, costs_visible=costs_visible, standalone_charts=for_pdf)
        css = stylesheet(settings.ENVOL_THEME, org.colour)
        return render_to_string(
            "decide/report.html",
            {**data, "lang": lang, "stylesheet": _data_url("text/css", css.encode())},
        )


def render(
    org: Organisation,
    start: date,
    end: date,
    *,
    fmt: str = "pdf",
    lang: str = "fr",
    costs_visible: bool = True,
) -> bytes:
    """The report as bytes: a standalone HTML document, or a PDF."""
    html = render_html(
        org, start, end, lang=lang, costs_visible=costs_visible, for_pdf=fmt == "pdf"
    )
    if fmt == "html":
        return html.encode("utf-8")
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Every resource is a data: URL: WeasyPrint may fetch nothing else (no network, no file).
    fetcher = URLFetcher(allowed_protocols=["data"])
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
