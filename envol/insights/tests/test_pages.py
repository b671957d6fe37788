"""The insights pages per role: viewers read, editors import; the column-mapping form."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from envol.insights import services
from envol.insights.models import ColumnMapping, MetricsImport
from envol.insights.tests.conftest import TODAY, member
from envol.orgs.models import Organisation, Role
from envol.testing import analytics_exports as ex


@pytest.mark.django_db
def test_viewer_reads_but_cannot_import(org: Organisation, viewer: Client, folder: Path) -> None:
    for path in ex.flood_exports(folder, "fr"):
        services.import_export(org, path, today=TODAY)
    services.save_campaign(org, "Crue de la Vilaine", tags=["CrueVilaine"])
    page = viewer.get(f"/o/{org.slug}/insights/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Crue de la Vilaine" in html and "rennes-metropole_content.xlsx" in html
    assert f"/o/{org.slug}/insights/import/" not in html
    assert viewer.get(f"/o/{org.slug}/insights/import/").status_code == 404
    with (folder / "facebook-posts.csv").open("rb") as upload:
        answer = viewer.post(
            f"/o/{org.slug}/insights/import/", {"file": upload, "platform": "auto"}
        )
    assert answer.status_code == 404
    assert MetricsImport.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_editors_import_an_export(org: Organisation, folder: Path, role: str) -> None:
    client = member(org, role)
    path = ex.meta_daily(
        folder / "Views.csv", "Vues Facebook", [ex.Day(TODAY, {"views": 5})], "views", "fr"
    )
    with path.open("rb") as upload:
        answer = client.post(
            f"/o/{org.slug}/insights/import/", {"file": upload, "platform": "auto"}
        )
    assert answer.status_code == 302
    done = MetricsImport.objects.get()
    assert (done.platform, done.kind, done.rows) == ("facebook", "daily", 1)
    assert done.created_by is not None


@pytest.mark.django_db
def test_unknown_columns_get_the_mapping_form_remembered_next_time(
    org: Organisation, editor: Client, folder: Path
) -> None:
    path = folder / "statistiques.csv"
    path.write_text("Jour;Vus;Aimés\n24/01/2025;1 200;3\n25/01/2025;800;4\n", encoding="utf-8")
    with path.open("rb") as upload:
        form = editor.post(
            f"/o/{org.slug}/insights/import/", {"file": upload, "platform": "youtube"}
        )
    assert form.status_code == 400
    html = form.content.decode()
    assert "statistiques.csv" in html and "Jour" in html and 'name="col_date"' in html
    token = form.context["token"]
    chosen = editor.post(
        f"/o/{org.slug}/insights/import/columns/",
        {
            "token": token,
            "platform": "youtube",
            "file_kind": "youtube_totals",
            "col_date": "Jour",
            "col_views": "Vus",
        },
    )
    assert chosen.status_code == 302
    done = MetricsImport.objects.get()
    assert done.totals == {"views": 2000} and done.period_start.isoformat() == "2025-01-24"
    assert ColumnMapping.objects.filter(organisation=org).count() == 1
    with path.open("rb") as upload:  # the same columns next time: imported at once
        again = editor.post(f"/o/{org.slug}/insights/import/", {"file": upload, "platform": "auto"})
    assert again.status_code == 302 and MetricsImport.objects.count() == 2


@pytest.mark.django_db
def test_another_organisations_upload_token_is_not_found(
    org: Organisation, editor: Client, folder: Path
) -> None:
    path = folder / "x.csv"
    path.write_text("a,b\n1,2\n")
    with path.open("rb") as upload:
        form = editor.post(f"/o/{org.slug}/insights/import/", {"file": upload, "platform": "auto"})
    token = form.context["token"]
    from envol.orgs.services import create_organisation

    other = create_organisation("ville-b", "Ville B")
    intruder = member(other, Role.ADMIN)
    answer = intruder.post(
        f"/o/{other.slug}/insights/import/columns/",
        {"token": token, "file_kind": "youtube_totals", "col_date": "a", "col_views": "b"},
    )
    assert answer.status_code == 404
