"""The dashboard shows the journey: last import, matches to review, migrations running, next."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.testing import walk


@pytest.mark.django_db
def test_a_new_organisation_is_told_to_import_its_archive() -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "a@a.test", Role.ADMIN, password="pw-a-123456")
    client = Client()
    client.login(username="a@a.test", password="pw-a-123456")
    html = client.get("/o/ville-a/").content.decode()
    assert "Importer votre archive X" in html and 'href="/o/ville-a/imports/upload/"' in html


@pytest.mark.django_db
def test_the_journey_half_way(tmp_path: Path) -> None:
    seeded = walk.seed(tmp_path)
    client = Client()
    client.login(username=walk.EMAIL, password=walk.PASSWORD)
    html = client.get(f"/o/{seeded.org}/").content.decode()
    assert f'href="/o/{seeded.org}/imports/{seeded.import_id}/"' in html
    assert "4 correspondances attendent votre décision" in html
    assert "Examiner les correspondances proposées" in html
    assert f'href="/o/{seeded.org}/migration/{seeded.job_id}/"' not in html  # paused: not running
    english = client.get(f"/o/{seeded.org}/", headers={"accept-language": "en"}).content.decode()
    assert "4 matches wait for your decision" in english
