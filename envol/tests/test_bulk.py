"""Bulk inserts skip or update existing rows on both databases."""

from __future__ import annotations

import pytest

from envol.bulk import insert_rows
from envol.orgs.models import Organisation


@pytest.mark.django_db
def test_insert_skip_and_upsert() -> None:
    cols = ["slug", "name", "kind", "website", "created_at"]
    when = "2026-01-01T00:00:00+00:00"
    rows = [(f"org-{i}", f"Org {i}", "city", "", when) for i in range(12)]
    assert insert_rows(Organisation, cols, rows, batch_rows=5) == 12
    assert Organisation.objects.count() == 12
    renamed = [(f"org-{i}", f"Renamed {i}", "city", "", when) for i in range(10, 14)]
    insert_rows(Organisation, cols, renamed, conflict=["slug"])
    assert Organisation.objects.count() == 14
    assert Organisation.objects.get(slug="org-10").name == "Org 10"
    insert_rows(Organisation, cols, renamed, conflict=["slug"], update=["name"])
    assert Organisation.objects.get(slug="org-10").name == "Renamed 10"
    assert Organisation.objects.count() == 14
