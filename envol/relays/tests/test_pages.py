"""The relays pages, with Django's client: create a relay from the form (the feed server as its
source), watch its history, change its rules and templates, pause it, pause them all from the
dashboard; viewers only read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from envol.orgs.models import Organisation, Role
from envol.orgs.services import add_member
from envol.relays.models import Relay, RelayState
from envol.relays.tests.conftest import MastodonTarget, poll, publish_queued
from envol.testing.feeds import FeedServer

pytestmark = pytest.mark.django_db(transaction=True)


def member(org: Organisation, email: str, role: str) -> Client:
    client = Client()
    client.force_login(add_member(org, email, role).user)
    return client


def test_create_watch_edit_pause(org, feeds: FeedServer, mastodon_target: MastodonTarget) -> None:
    feeds.create_feed("news", "Actualités de Relais")
    now = timezone.now()
    feeds.add_item("news", "Nouvelle d'hier", published=now - timedelta(hours=2))
    editor = member(org, "redaction@relais.test", Role.EDITOR)
    base = f"/o/{org.slug}/relays/"
    assert editor.get(base + "new/").status_code == 200
    answer = editor.post(
        base + "new/",
        {
            "source_kind": "rss",
            "source": feeds.feed_url("news"),
            "targets": [mastodon_target.account.pk],
            "template": "",
            "max_per_hour": 4,
            "backfill": 1,
        },
    )
    relay = Relay.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"{base}{relay.pk}/"
    poll(relay, now)
    publish_queued()
    page = editor.get(f"{base}{relay.pk}/").content.decode()
    assert "Nouvelle d&#x27;hier" in page and mastodon_target.account.handle in page
    listing = editor.get(base).content.decode()
    assert "Actualités de Relais" in listing

    rules = {
        "name": "Nos actualités",
        "reposts": "skip",
        "warning_rule": "source",
        "max_per_hour": 2,
        "max_age_hours": 12,
        "interval_minutes": 15,
        "approval": "direct",
        f"template_{mastodon_target.account.pk}": "Via le site : {title} {link}",
        "action": "rules",
    }
    assert editor.post(f"{base}{relay.pk}/", rules).status_code == 302
    relay.refresh_from_db()
    assert (relay.name, relay.max_per_hour, relay.interval_minutes) == ("Nos actualités", 2, 15)
    assert relay.targets.get().template == "Via le site : {title} {link}"

    editor.post(f"{base}{relay.pk}/", {"action": "pause"})
    relay.refresh_from_db()
    assert relay.state == RelayState.PAUSED

    dashboard = editor.get(f"/o/{org.slug}/").content.decode()
    assert 'id="relays-panel"' in dashboard and 'value="pause_all"' in dashboard
    editor.post(base, {"action": "pause_all"})
    assert 'id="paused-all"' in editor.get(base).content.decode()


def test_viewers_only_read(org, feeds: FeedServer, mastodon_target: MastodonTarget) -> None:
    feeds.create_feed("news", "Actualités")
    viewer = member(org, "lecteur@relais.test", Role.VIEWER)
    base = f"/o/{org.slug}/relays/"
    assert viewer.get(base + "new/").status_code == 404
    assert 'value="pause_all"' not in viewer.get(base).content.decode()
    viewer.post(base, {"action": "pause_all"})
    assert 'id="paused-all"' not in viewer.get(base).content.decode()
