"""Costs are set by admins and shown to admins and editors only — never to reviewers or
viewers, on any page or in the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from envol.decide.models import HourlyRate, OtherCost
from envol.decide.tests.conftest import seed_roi_fixture
from envol.orgs.models import Organisation, Role

pytestmark = pytest.mark.django_db
PERIOD = "?start=2025-03-01&end=2025-03-31"
# The seeded cost as a figure of its own: not the "850" a random token (CSRF, CSP nonce) may hold.
COST = re.compile(r"(?<![\w+/=-])850(?![\w+/=-])")


def test_costs_page_per_role(org: Organisation, clients: dict[str, Client]) -> None:
    url = f"/o/{org.slug}/decide/costs/"
    assert clients[Role.VIEWER].get(url).status_code == 404
    assert clients[Role.REVIEWER].get(url).status_code == 404
    editor_page = clients[Role.EDITOR].get(url).content.decode()
    assert 'name="euros_per_hour"' not in editor_page  # editors read, admins set
    refused = clients[Role.EDITOR].post(
        url, {"action": "rate", "who": "default", "euros_per_hour": "1"}
    )
    assert refused.status_code == 404 and not HourlyRate.objects.exists()
    admin = clients[Role.ADMIN]
    assert 'name="euros_per_hour"' in admin.get(url).content.decode()
    admin.post(url, {"action": "rate", "who": "role:editor", "euros_per_hour": "32.50"})
    admin.post(
        url,
        {"action": "cost", "network": "x", "month": "2025-03", "kind": "ads", "euros": "120"},
    )
    assert HourlyRate.objects.get().role == "editor"
    assert OtherCost.objects.get().month.isoformat() == "2025-03-01"


def test_roi_page_hides_costs_from_viewers_and_reviewers(
    org: Organisation, clients: dict[str, Client], tmp_path: Path
) -> None:
    seed_roi_fixture(org, tmp_path)
    url = f"/o/{org.slug}/decide/roi/{PERIOD}"
    for role in (Role.VIEWER, Role.REVIEWER):
        page = clients[role].get(url).content.decode()
        assert "15,0" in page or "15.0" in page  # hours are shown
        assert not COST.search(page) and "€" not in page, role
    for role in (Role.EDITOR, Role.ADMIN):
        page = clients[role].get(url).content.decode()
        assert COST.search(page) and "€" in page, role


def test_report_hides_costs_from_viewers(
    org: Organisation, clients: dict[str, Client], tmp_path: Path
) -> None:
    seed_roi_fixture(org, tmp_path)
    url = f"/o/{org.slug}/decide/report/file/{PERIOD}&lang=en&format=html"
    viewer = clients[Role.VIEWER].get(url)
    assert viewer.status_code == 200 and "attachment" in viewer["Content-Disposition"]
    assert "Cost (€)" not in viewer.content.decode()
    assert "Cost (€)" in clients[Role.EDITOR].get(url).content.decode()
