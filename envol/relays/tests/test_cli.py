"""`envol relay …` against the local feed server and the Mastodon test server, in French (the
default) and in English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from envol.cli import main
from envol.relays.models import Relay, RelayState
from envol.relays.tests.conftest import MastodonTarget
from envol.testing.feeds import FeedServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def news(feeds: FeedServer) -> FeedServer:
    feeds.create_feed("news", "Actualités de Relais")
    now = timezone.now()
    for rank in range(1, 4):
        feeds.add_item("news", f"Nouvelle {rank}", published=now - timedelta(hours=rank))
    return feeds


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ENVOL_LANGUAGE", "en")
    yield


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_add_dry_run_then_add_list_run_pause_resume(
    org, news: FeedServer, mastodon_target: MastodonTarget, english: None
) -> None:
    handle = mastodon_target.account.handle
    common = ["--org", org.slug, "--source", "rss", "--from", news.feed_url("news")]
    shown = invoke("relay", "add", *common, "--to", handle, "--backfill", "2", "--dry-run")
    assert "3 items read, 3 new, 2 would be published" in shown
    assert "1 skipped: already there when the relay was created" in shown
    assert f"Mastodon {handle}: 1 part" in shown and "• Nouvelle 1" in shown
    assert Relay.objects.count() == 0  # a dry run saves nothing

    assert "Relay" in invoke("relay", "add", *common, "--to", handle, "--backfill", "2")
    relay = Relay.objects.get()
    assert "2 posts published" in invoke("relay", "run", str(relay.pk))
    assert len(mastodon_target.statuses()) == 2
    listed = invoke("relay", "list", "--org", org.slug)
    assert "Actualités de Relais" in listed and "2 relayed today" in listed

    assert "is paused" in invoke("relay", "pause", str(relay.pk))
    relay.refresh_from_db()
    assert relay.state == RelayState.PAUSED
    assert "running again" in invoke("relay", "resume", str(relay.pk))
    news.create_feed("moved", "Actualités de Relais")
    assert "now reads" in invoke("relay", "move", str(relay.pk), "--from", news.feed_url("moved"))
    relay.refresh_from_db()
    assert relay.source == news.feed_url("moved") and relay.moved_at is not None


def test_french_by_default(org, news: FeedServer, mastodon_target: MastodonTarget) -> None:
    handle = mastodon_target.account.handle
    common = ["--org", org.slug, "--source", "rss", "--from", news.feed_url("news")]
    shown = invoke("relay", "add", *common, "--to", handle, "--dry-run")
    assert "3 éléments lus, 3 nouveaux, 0 serait publié" in shown
    assert "3 ignorés : déjà là à la création du relais" in shown
    missing = CliRunner().invoke(main, ["relay", "add", *common, "--to", "personne"])
    assert missing.exit_code != 0 and "Aucun compte connecté personne" in missing.output
