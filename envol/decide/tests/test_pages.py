"""Every decision page answers on the demo data (the browser walk then checks them in both
themes, on a phone and without JavaScript); viewers read, editors enter, admins set costs."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from envol.decide.models import EffortEntry
from envol.orgs.models import Role
from envol.orgs.services import add_member, get_organisation
from envol.testing import walk

pytestmark = pytest.mark.django_db(transaction=True)
EDITING = {"decide-effort", "decide-costs", "decide-assess"}


def test_decide_pages_per_role(tmp_path: Path) -> None:
    seeded = walk.seed(tmp_path)
    org = get_organisation(seeded.org)
    assert EffortEntry.objects.filter(organisation=org).count() > 100
    admin = Client()
    assert admin.login(username=walk.EMAIL, password=walk.PASSWORD)
    add_member(org, "viewer@walk.test", Role.VIEWER, password="pw-viewer-123456")
    viewer = Client()
    assert viewer.login(username="viewer@walk.test", password="pw-viewer-123456")
    pages = [p for p in walk.PAGES if p.name.startswith("decide")]
    assert len(pages) == 12
    for page in pages:
        url = page.path.format(**vars(seeded))
        answer = admin.get(url)
        assert answer.status_code == 200, (page.name, answer.status_code)
        assert viewer.get(url).status_code == (404 if page.name in EDITING else 200), page.name
    sheet = admin.get(f"/o/{seeded.org}/decide/networks/x/").content.decode()
    assert "Nos publics n&#x27;y sont plus" in sheet  # the signed decision
    roi = viewer.get(f"/o/{seeded.org}/decide/roi/").content.decode()
    assert "Référence X" in roi and "Comparable" in roi
    scenarios = viewer.get(f"/o/{seeded.org}/decide/scenarios/").content.decode()
    assert "environ" in scenarios  # six measured months: a central figure and a range
