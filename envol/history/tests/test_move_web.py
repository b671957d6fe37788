"""The history migration's page: editors plan (nothing is sent), admins start, pause, resume
and cancel; the job is the one the workers run."""

from __future__ import annotations

import pytest
from django.test import Client

from envol.history.models import HistoryMigration, MoveState
from envol.orgs.models import ConnectedAccount, Organisation, Role
from envol.orgs.services import add_member
from envol.portability.models import ArchiveImport

pytestmark = pytest.mark.django_db


def test_plan_start_pause_resume_cancel(org: Organisation, imported: ArchiveImport) -> None:
    account = ConnectedAccount.objects.create(
        organisation=org,
        network="bluesky",
        handle="ville.test",
        remote_id="did:plc:abcdefghijklmnopqrstuvwx",
    )
    url = f"/o/{org.slug}/history/bluesky/"
    form = {"archive_import": imported.pk, "account": account.pk}
    editor = Client()
    editor.force_login(add_member(org, "editor@ville-a.fr", Role.EDITOR).user)
    page = editor.post(url, {**form, "action": "plan"}).content.decode()
    assert 'id="move-plan"' in page and "enregistrements Bluesky" in page
    assert 'value="start"' not in page and not HistoryMigration.objects.exists()
    assert editor.post(url, {**form, "action": "start"}).status_code == 404

    admin = Client()
    admin.force_login(add_member(org, "admin@ville-a.fr", Role.ADMIN).user)
    assert admin.post(url, {**form, "action": "start"}).status_code == 302
    job = HistoryMigration.objects.get()
    assert job.state == MoveState.PENDING and job.due_at is not None and job.total > 0
    page = admin.get(url).content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page
    action = f"{url}{job.pk}/"
    for wanted, state in (("pause", "paused"), ("resume", "pending"), ("cancel", "cancelled")):
        assert admin.post(action, {"action": wanted}).status_code == 302
        job.refresh_from_db()
        assert job.state == state
    assert editor.post(action, {"action": "resume"}).status_code == 404
