"""The checklist (who ticked, when, audited), the dashboard panel and the announcement kit page."""

from __future__ import annotations

import pytest
from django.test import Client

from envol.leaving import services
from envol.orgs.models import AuditEvent, Organisation


def logged_in() -> Client:
    client = Client()
    assert client.login(username="editrice@ville-exemple.fr", password="pw-editor-123456")
    return client


@pytest.mark.django_db
def test_ticking_records_date_person_and_audit(org: Organisation, editor: object) -> None:
    client = logged_in()
    response = client.post(
        f"/o/{org.slug}/leaving/checklist/", {"step": "account_kept", "done": "1"}
    )
    assert response.status_code == 302
    entry = next(e for e in services.checklist(org) if e.step == "account_kept")
    assert entry.done and entry.changed_at is not None
    assert entry.changed_by == "editrice@ville-exemple.fr"
    client.post(f"/o/{org.slug}/leaving/checklist/", {"step": "account_kept", "done": "0"})
    events = AuditEvent.objects.filter(organisation=org, action="leaving.checklist_tick")
    assert [e.detail["done"] for e in events.order_by("at")] == [True, False]
    assert all(e.actor is not None for e in events)
    assert client.post(f"/o/{org.slug}/leaving/checklist/", {"step": "nope"}).status_code == 404


@pytest.mark.django_db
def test_dashboard_shows_the_checklist_summary(org: Organisation, editor: object) -> None:
    services.tick(org, "stop_posting", True, editor)
    html = logged_in().get(f"/o/{org.slug}/").content.decode()
    assert "Bien quitter X" in html and "1 étape faite sur 7" in html


@pytest.mark.django_db
def test_kit_page_shows_texts_counts_and_saves_an_edit(org: Organisation, editor: object) -> None:
    client = logged_in()
    html = client.get(f"/o/{org.slug}/leaving/announce/?lang=fr").content.decode()
    assert "ne publie plus sur X" in html and "/ 280" in html and "/ 160" in html
    assert "Publier sur les comptes connectés" in html  # Bluesky and Mastodon texts
    response = client.post(
        f"/o/{org.slug}/leaving/announce/",
        {"kind": "x_bio", "lang": "en", "text": "We moved to Bluesky: https://example.org/"},
    )
    assert response.status_code == 302
    assert services.announcement_texts(org, "en")["x_bio"] == [
        "We moved to Bluesky: https://example.org/"
    ]
    assert AuditEvent.objects.filter(action="leaving.announcement_edit").count() == 1
