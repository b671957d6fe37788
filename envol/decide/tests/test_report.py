"""The report for elected officials: PDF (WeasyPrint) and HTML, French and English; its pages
turned into PNG with pdftoppm (artifacts/screenshots/) and its text read with pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.test import Client, override_settings

from envol.cli import main
from envol.decide import assessments, report
from envol.decide.tests.conftest import MARCH, seed_roi_fixture
from envol.orgs.models import Organisation, Role

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is missing: `make test` installs poppler-utils")
    return found


def _flood(org: Organisation) -> None:
    from envol.demo import seed_demo_insights

    seed_demo_insights(org)  # the brief's flood campaign, from generated exports


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdf_pages_and_text(org: Organisation, tmp_path: Path, lang: str) -> None:
    from datetime import date

    seed_roi_fixture(org, tmp_path)
    _flood(org)
    assessments.save_assessment(org, "x", date(2025, 3, 1), {1: {"score": 2}}, lang=lang)
    pdf = tmp_path / f"report-{lang}.pdf"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--org",
            org.slug,
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
            "--format",
            "pdf",
            "--lang",
            lang,
            "--output",
            str(pdf),
        ],
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"report-{lang}.txt").write_text(text, encoding="utf-8")
    flat = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    assert "Rennes Métropole" in flat
    if lang == "fr":
        assert "Où être, et pourquoi" in flat and "Méthode et limites" in flat
        figures = ["740 000", "496 000", "296 000", "150 000", "1 682 000"]
    else:
        assert "Where to be, and why" in flat and "Method and limits" in flat
        figures = ["740,000", "496,000", "296,000", "150,000", "1,682,000"]
    for figure in figures:  # the flood campaign of the period
        assert figure in flat, figure
    assert "AMEC" in flat and "Barcelon" in flat
    # The charts are drawn, not just described: X's 6 + 4 + 5 + 3 hours as a bar's text.
    assert ("18,0 h" if lang == "fr" else "18.0 h") in flat
    prefix = ARTIFACTS / f"report-{lang}"
    for old in ARTIFACTS.glob(f"report-{lang}-*.png"):
        old.unlink()
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "60", str(pdf), str(prefix)], check=True)
    pages = sorted(ARTIFACTS.glob(f"report-{lang}-*.png"))
    assert 3 <= len(pages) <= 12, pages  # a few pages, read in five minutes


def test_html_is_standalone_and_themed(org: Organisation, tmp_path: Path) -> None:
    from envol.orgs.services import update_brand

    seed_roi_fixture(org, tmp_path)
    update_brand(org, colour="#1d6f42")
    html = report.render(org, *MARCH, fmt="html", lang="fr").decode()
    assert 'href="data:text/css;base64,' in html and "<style" not in html
    assert "http://" not in html.split("<main>")[0]  # nothing fetched for the frame
    css = report.stylesheet("envol", "#1d6f42")
    assert "--accent: #1d6f42" in css and "Marianne" not in css
    with override_settings(ENVOL_THEME="dsfr"):
        dsfr = report.render(org, *MARCH, fmt="html", lang="fr").decode()
    assert "République" in dsfr and "République" not in html


def test_report_button(org: Organisation, clients: dict[str, Client], tmp_path: Path) -> None:
    seed_roi_fixture(org, tmp_path)
    page = clients[Role.VIEWER].get(f"/o/{org.slug}/decide/report/").content.decode()
    assert 'value="pdf"' in page and 'value="html"' in page
    pdf = clients[Role.VIEWER].get(
        f"/o/{org.slug}/decide/report/file/?start=2025-03-01&end=2025-03-31&lang=fr&format=pdf"
    )
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
