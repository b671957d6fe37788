"""The archive site on the web: the admins' page builds (a job of the engine) and publishes it,
and the published site is served from its build folder only — nothing else of the data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from envol.history import services
from envol.history.models import ArchiveSite
from envol.jobs.leases import local_prefix, this_process
from envol.jobs.runner import Runner, run_to_end
from envol.orgs.models import AuditEvent, Organisation, Role
from envol.orgs.services import add_member
from envol.portability.models import ArchivedPost, ArchiveImport

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(org: Organisation) -> Client:
    client = Client()
    client.force_login(add_member(org, "admin@ville-a.fr", Role.ADMIN).user)
    return client


def published(org: Organisation, imported: ArchiveImport, client: Client) -> ArchiveSite:
    url = f"/o/{org.slug}/history/site/"
    form = {"action": "build", "archive_import": imported.pk, "lang": "fr", "colour": "#ffcc00"}
    assert client.post(url, form).status_code == 302
    site = services.site_of(org)
    assert site.state == ArchiveSite.State.QUEUED and site.due_at is not None
    assert run_to_end(site).state == ArchiveSite.State.BUILT
    assert client.post(url, {"action": "publish"}).status_code == 302
    site.refresh_from_db()
    assert site.published
    return site


def test_admins_build_then_publish_and_readers_get_the_files(
    org: Organisation, imported: ArchiveImport, admin_client: Client
) -> None:
    page = admin_client.get(f"/o/{org.slug}/history/site/")
    assert page.status_code == 200 and "Construire le site" in page.content.decode()
    assert Client().get(f"/{org.slug}/archive/").status_code == 404  # not yet published
    site = published(org, imported, admin_client)
    assert site.post_count == ArchivedPost.objects.count() and site.colour == "#ffcc00"
    page = admin_client.get(f"/o/{org.slug}/history/site/").content.decode()
    assert "est trop claire" in page and f"/{org.slug}/archive/" in page
    verbs = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"history.site_configure", "history.site_build", "history.site_publish"} <= verbs

    reader = Client()
    index = reader.get(f"/{org.slug}/archive/")
    assert index.status_code == 200 and index["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in index["Content-Security-Policy"]
    assert index["X-Content-Type-Options"] == "nosniff"
    post_id = ArchivedPost.objects.values_list("remote_id", flat=True).first()
    post = reader.get(f"/{org.slug}/archive/status/{post_id}.html")
    assert post.status_code == 200 and f'id="p-{post_id}"' in b"".join(post).decode()
    css = reader.get(f"/{org.slug}/archive/assets/site.css")
    assert css["Content-Type"].startswith("text/css")
    script = reader.get(f"/{org.slug}/archive/assets/search.js")
    assert script["Content-Type"] == "text/javascript; charset=utf-8"
    old = reader.get(f"/{org.slug}/archive/ville_18/status/{post_id}")
    assert (
        old.status_code == 302 and old["Location"] == f"/{org.slug}/archive/status/{post_id}.html"
    )

    admin_client.post(f"/o/{org.slug}/history/site/", {"action": "unpublish"})
    assert reader.get(f"/{org.slug}/archive/").status_code == 404


def test_a_rebuild_replaces_the_previous_build(
    org: Organisation, imported: ArchiveImport, admin_client: Client
) -> None:
    site = published(org, imported, admin_client)
    first = Path(settings.DATA_DIR) / site.build_folder
    assert first.is_dir()
    services.request_build(site, actor=None)
    with pytest.raises(services.HistoryError):
        services.request_build(site, actor=None)  # one build at a time
    site = run_to_end(site)
    assert site.state == ArchiveSite.State.BUILT and site.build_folder
    assert not first.exists() and (Path(settings.DATA_DIR) / site.build_folder).is_dir()


@pytest.mark.parametrize(
    "relative",
    [
        "../../envol.sqlite3",
        "status/../../../secret.txt",
        "%2e%2e/secret.txt",
        "/etc/passwd",
        "redirects/apache.conf",
        "_redirects",
        "envol-site.json",
        ".hidden",
        "status/\x00.html",
        "status\\..\\x",
        "link-out/secret.txt",
        "nope.html",
    ],
)
def test_nothing_outside_the_build_is_served(
    org: Organisation, imported: ArchiveImport, admin_client: Client, relative: str
) -> None:
    site = published(org, imported, admin_client)
    data = Path(settings.DATA_DIR)
    (data / "history" / "secret.txt").write_text("secret")
    (data / "secret.txt").write_text("secret")
    os.symlink(data, data / site.build_folder / "link-out")
    assert services.published_file(org.slug, relative) is None
    response = Client().get(f"/{org.slug}/archive/{relative}")
    assert response.status_code == 404


def test_editors_see_the_state_only_admins_act(org: Organisation, imported: ArchiveImport) -> None:
    editor = Client()
    editor.force_login(add_member(org, "editor@ville-a.fr", Role.EDITOR).user)
    page = editor.get(f"/o/{org.slug}/history/site/").content.decode()
    assert "Seuls les administrateurs" in page and 'value="build"' not in page
    for action in ("build", "publish"):
        response = editor.post(f"/o/{org.slug}/history/site/", {"action": action})
        assert response.status_code == 404
    assert services.site_of(org).state == ArchiveSite.State.IDLE
    viewer = Client()
    viewer.force_login(add_member(org, "viewer@ville-a.fr", Role.VIEWER).user)
    assert viewer.get(f"/o/{org.slug}/history/site/").status_code == 404
    assert Client().get(f"/o/{org.slug}/history/site/").status_code in (302, 404)


def test_publishing_needs_a_build_and_a_foreign_import_is_refused(
    org: Organisation, imported: ArchiveImport, admin_client: Client
) -> None:
    response = admin_client.post(f"/o/{org.slug}/history/site/", {"action": "publish"})
    assert "Construisez le site avant de le publier" in response.content.decode()
    assert not services.site_of(org).published
    other = services.site_of(Organisation.objects.create(slug="ville-b", name="Ville B"))
    with pytest.raises(services.HistoryError):
        services.configure(other, archive_import=imported, lang="fr", colour="#000000", actor=None)


def test_a_build_whose_worker_died_is_taken_over_by_the_engine(
    org: Organisation, imported: ArchiveImport
) -> None:
    from envol.history.jobs import SITE_BUILD

    site = services.site_of(org)
    services.configure(site, archive_import=imported, lang="fr", colour="#1f4f8f", actor=None)
    services.request_build(site, actor=None)
    _host, pid, _token = this_process().split(":")
    dead = f"{local_prefix()}{pid}:0ld70ken:1"  # an earlier process with our pid: dead
    ArchiveSite.objects.filter(pk=site.pk).update(
        state=ArchiveSite.State.BUILDING, lease_owner=dead, lease_until=site.due_at
    )
    leftover = Path(settings.DATA_DIR) / services.SITES / str(org.pk) / "build-killed"
    (leftover / "status").mkdir(parents=True)
    assert Runner([SITE_BUILD]).run_once() == 1  # no stale-timer to wait for: the owner is dead
    site.refresh_from_db()
    assert site.state == ArchiveSite.State.BUILT and site.lease_owner == ""
    assert not leftover.exists() and (Path(settings.DATA_DIR) / site.build_folder).is_dir()
