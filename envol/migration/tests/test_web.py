"""Web pages: estimate (Mastodon's native import offered first), start, live progress without
JavaScript, pause / resume / cancel, the report; other organisations see nothing."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client

from envol.jobs.runner import run_to_end
from envol.migration.models import JobState, MigrationJob
from envol.orgs.models import Organisation, Role
from envol.orgs.services import add_member, create_organisation
from envol.testing.mastodon import MastodonTestServer

from .conftest import accepted_import, mastodon_account_connected

pytestmark = pytest.mark.django_db
PASSWORD = "pw-migration-123456"


class Me:
    def __init__(self, server: MastodonTestServer) -> None:
        account, self.token = server.create_account("mairie")
        self.id, self.api_base_url = account["id"], server.url
        self.address = f"mairie@{server.domain}"


def login(org: Organisation, email: str, role: str) -> Client:
    add_member(org, email, role, password=PASSWORD)
    client = Client()
    assert client.login(username=email, password=PASSWORD)
    return client


def test_estimate_start_follow_pause_resume_cancel_report(org: Organisation) -> None:
    with MastodonTestServer.start() as server:
        me = Me(server)
        targets = []
        for n in range(3):
            server.create_account(f"p{n}")
            targets.append(f"p{n}@{server.domain}")
        archive = accepted_import(org, "mastodon", targets, unmatched=1)
        account = mastodon_account_connected(org, me)
        editor = login(org, "editor@ville.test", Role.EDITOR)
        base = f"/o/{org.slug}/migration/"

        page = editor.get(base, {"import": archive.pk, "account": account.pk, "estimate": 1})
        html = page.content.decode()
        assert page.status_code == 200
        native = html.index("format=mastodon-csv")
        assert native < html.index(f'action="/o/{org.slug}/migration/start/"')  # CSV first
        assert 'id="estimate-to-follow"' in html and "3" in html
        said = re.search(r'id="estimate-duration">([^<]*)<', html)
        assert said and re.fullmatch(  # in words, counted: never "environ 1 secondes"
            r"Durée aux limites du réseau : environ (1 seconde|\d+ secondes|\d+\xa0\w+.*)",
            said.group(1),
        ), said

        started = editor.post(f"{base}start/", {"import": archive.pk, "account": account.pk})
        job = MigrationJob.objects.get(organisation=org)
        assert started.status_code == 302 and started["Location"].endswith(f"/{job.pk}/")
        detail = editor.get(f"{base}{job.pk}/").content.decode()
        assert '<meta http-equiv="refresh"' in detail and 'id="job-progress"' in detail

        assert editor.post(f"{base}{job.pk}/pause/").status_code == 302
        job.refresh_from_db()
        assert job.state == JobState.PAUSED
        editor.post(f"{base}{job.pk}/resume/")
        job.refresh_from_db()
        assert job.state == JobState.PENDING
        job = run_to_end(job)
        assert job.state == JobState.DONE
        final = editor.get(f"{base}{job.pk}/").content.decode()
        assert '<meta http-equiv="refresh"' not in final
        assert editor.post(f"{base}{job.pk}/cancel/").status_code == 302  # refused, explained
        job.refresh_from_db()
        assert job.state == JobState.DONE

        report = editor.get(f"{base}{job.pk}/report.csv")
        rows = list(csv.DictReader(io.StringIO(report.content.decode())))
        assert sorted(r["target"] for r in rows) == sorted(targets)
        assert {r["state"] for r in rows} == {"done"}


def test_viewers_cannot_act_and_other_organisations_see_nothing(org: Organisation) -> None:
    archive = accepted_import(org, "bluesky", ["did:plc:" + "a" * 24])
    account: Any = org.accounts.create(network="bluesky", handle="v.test", remote_id="did:x")
    job = MigrationJob.objects.create(
        organisation=org, archive_import=archive, account=account, network="bluesky", total=1
    )
    base = f"/o/{org.slug}/migration/"
    viewer = login(org, "viewer@ville.test", Role.VIEWER)
    assert viewer.get(f"{base}{job.pk}/").status_code == 200
    assert viewer.post(f"{base}{job.pk}/pause/").status_code == 404
    other = create_organisation("autre-ville", "Autre")
    stranger = login(other, "x@autre.test", Role.ADMIN)
    assert stranger.get(f"{base}{job.pk}/").status_code == 404
    assert stranger.get(f"/o/{other.slug}/migration/{job.pk}/").status_code == 404
    assert stranger.get(f"/o/{other.slug}/migration/{job.pk}/report.csv").status_code == 404
