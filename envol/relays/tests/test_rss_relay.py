"""An RSS relay end to end: the local feed server as the source, the Mastodon test server as the
target, the engine's step with an injected clock."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core import mail

from envol.publishing.models import Post
from envol.relays import services
from envol.relays.models import Outcome, Relay, RelayItem, RelayState
from envol.relays.tests.conftest import T0, MastodonTarget, poll, publish_queued
from envol.testing.feeds import FeedServer

pytestmark = pytest.mark.django_db(transaction=True)


def make_relay(org, feeds: FeedServer, target: MastodonTarget, **options) -> Relay:  # type: ignore[no-untyped-def]
    return services.create(
        org,
        "rss",
        feeds.feed_url("news"),
        [(target.account, options.pop("template", ""))],
        **options,
    )


@pytest.fixture
def news(feeds: FeedServer) -> FeedServer:
    feeds.create_feed("news", "Actualités de Relais")
    for rank in range(1, 6):
        feeds.add_item("news", f"Ancienne nouvelle {rank}", published=T0 - timedelta(hours=rank))
    return feeds


def test_only_new_items_each_once_however_often_polled(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(org, news, mastodon_target)
    assert relay.name == "Actualités de Relais" and relay.state == RelayState.ACTIVE
    poll(relay, T0)
    assert RelayItem.objects.filter(relay=relay, reason="baseline").count() == 5
    assert publish_queued() == [] and mastodon_target.statuses() == []

    fresh = news.add_item("news", "Le marché de Noël ouvre", published=T0 + timedelta(minutes=5))
    for minutes in (10, 20, 30):  # polled again and again
        poll(relay, T0 + timedelta(minutes=minutes))
    posts = publish_queued()
    assert len(posts) == 1 and posts[0].origin == f"relay:{relay.pk}:{fresh.guid}"
    news.edit_item("news", fresh.guid, title="Le marché de Noël ouvre samedi")  # an edit
    poll(relay, T0 + timedelta(minutes=40))
    assert publish_queued() == []
    statuses = mastodon_target.statuses()
    assert [s["content"] for s in statuses] == [
        f"<p>Le marché de Noël ouvre</p><p>{fresh.link}</p>"
    ]
    item = RelayItem.objects.get(relay=relay, key=fresh.guid)
    assert item.outcome == Outcome.RELAYED and item.relayed_at == T0 + timedelta(minutes=10)
    assert news.counts["304"] == 2  # polls at 20 and 30 min: nothing parsed, nothing changed


def test_backfill_relays_the_last_k(org, news: FeedServer, mastodon_target: MastodonTarget) -> None:
    relay = make_relay(org, news, mastodon_target, backfill=2, max_per_hour=10)
    poll(relay, T0 + timedelta(days=3))  # backfill ignores the age rule: it was asked for
    publish_queued()
    texts = [s["content"] for s in mastodon_target.statuses()]
    assert (
        len(texts) == 2 and "Ancienne nouvelle 1" in texts[0] and "Ancienne nouvelle 2" in texts[1]
    )


def test_pacing_per_hour_and_no_burst_after_an_outage(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(org, news, mastodon_target, max_per_hour=2, max_age_hours=6)
    poll(relay, T0)
    for minute in range(5):
        news.add_item("news", f"Dépêche {minute}", published=T0 + timedelta(minutes=minute))
    relay = poll(relay, T0 + timedelta(minutes=10))
    assert RelayItem.objects.filter(relay=relay, outcome=Outcome.RELAYED).count() == 2
    assert relay.due_at is not None and relay.due_at < T0 + timedelta(minutes=30)  # its interval
    poll(relay, T0 + timedelta(minutes=20))  # the hour's places are taken: nothing more goes
    assert RelayItem.objects.filter(relay=relay, outcome=Outcome.RELAYED).count() == 2
    poll(relay, T0 + timedelta(minutes=70))
    assert RelayItem.objects.filter(relay=relay, outcome=Outcome.RELAYED).count() == 4
    # The source then fails for half a day; the item still waiting is too old when it answers.
    relay = poll(relay, T0 + timedelta(hours=8))
    assert RelayItem.objects.filter(relay=relay, reason="too_old").count() == 1
    news.add_item("news", "Vieille dépêche", published=T0 + timedelta(minutes=30))
    news.add_item("news", "Dépêche du jour", published=T0 + timedelta(hours=7, minutes=50))
    poll(relay, T0 + timedelta(hours=8, minutes=10))
    publish_queued()
    assert RelayItem.objects.filter(relay=relay, reason="too_old").count() == 2
    titles = [s["content"] for s in mastodon_target.statuses()]
    assert len(titles) == 5 and "Dépêche du jour" in titles[0]


def test_quiet_hours_hold_items_until_they_end(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(org, news, mastodon_target, quiet_start=time(22, 0), quiet_end=time(7, 0))
    night = T0.replace(hour=22, minute=30)  # 23:30 in Paris
    poll(relay, night - timedelta(hours=1))
    news.add_item("news", "Alerte nocturne", published=night - timedelta(minutes=5))
    relay = poll(relay, night)
    assert RelayItem.objects.get(relay=relay, title="Alerte nocturne").outcome == Outcome.WAITING
    assert relay.due_at is not None and relay.due_at <= (T0 + timedelta(days=1)).replace(hour=6)
    poll(relay, (T0 + timedelta(days=1)).replace(hour=6, minute=0))  # 07:00 in Paris
    assert RelayItem.objects.get(relay=relay, title="Alerte nocturne").outcome == Outcome.RELAYED


def test_rules_tags_and_words(org, news: FeedServer, mastodon_target: MastodonTarget) -> None:
    relay = make_relay(
        org, news, mastodon_target, include_tags="culture #sport", exclude_words="annulé"
    )
    poll(relay, T0)
    news.add_item("news", "Concert gratuit", published=T0, categories=("Culture",))
    news.add_item("news", "Match annulé", published=T0, categories=("Sport",))
    news.add_item("news", "Conseil municipal", published=T0, categories=("Vie publique",))
    poll(relay, T0 + timedelta(minutes=10))
    reasons = dict(RelayItem.objects.filter(relay=relay).values_list("title", "reason"))
    assert reasons["Concert gratuit"] == ""
    assert reasons["Match annulé"] == "excluded"
    assert reasons["Conseil municipal"] == "not_included"


def test_a_source_failing_for_a_day_marks_the_relay_failing_and_emails_the_admins(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(org, news, mastodon_target)
    poll(relay, T0)
    Relay.objects.filter(pk=relay.pk).update(source_state={"url": f"{news.url}/status/500"})
    moment = T0
    while relay.state == RelayState.ACTIVE:
        moment += timedelta(hours=2)
        relay = poll(relay, moment)
        assert relay.error_count > 0 and "500" in relay.source_error
    assert moment - T0 >= timedelta(days=1) and relay.state == RelayState.FAILING
    assert relay.due_at is not None and relay.due_at > moment  # backed off, still polling
    assert [m.to for m in mail.outbox] == [["admin@relais.test"]]
    assert relay.name in mail.outbox[0].subject and "/relays/" in mail.outbox[0].body
    Relay.objects.filter(pk=relay.pk).update(source_state={"url": news.feed_url("news")})
    relay = poll(relay, moment + timedelta(hours=1))
    assert relay.state == RelayState.ACTIVE and relay.error_count == 0


def test_kill_switches(org, news: FeedServer, mastodon_target: MastodonTarget) -> None:
    relay = make_relay(org, news, mastodon_target)
    poll(relay, T0)
    news.add_item("news", "Pendant la pause", published=T0 + timedelta(minutes=1))
    services.set_paused_all(org, True)
    before = sum(news.counts.values())
    poll(relay, T0 + timedelta(minutes=10))
    assert sum(news.counts.values()) == before  # the source was not even read
    services.set_paused_all(org, False)
    assert services.pause(relay)
    relay.refresh_from_db()
    assert relay.due_at is None and relay.state == RelayState.PAUSED
    assert services.resume(relay)
    poll(relay, T0 + timedelta(minutes=20))
    assert len(publish_queued()) == 1


def test_templates_per_target_and_long_texts_fit(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(
        org, news, mastodon_target, template="Via {source} : {title}\n\n{text}\n\n{link}"
    )
    poll(relay, T0)
    summary = " ".join(
        f"Phrase {n} du long résumé de l'article sur la rénovation." for n in range(40)
    )
    item = news.add_item("news", "Rénovation", published=T0, summary=summary)
    poll(relay, T0 + timedelta(minutes=10))
    publish_queued()
    (status,) = mastodon_target.statuses()
    content = status["content"]
    assert content.startswith("<p>Via Actualités de Relais : Rénovation</p><p>Phrase 0")
    assert "…</p>" in content and content.endswith(f"<p>{item.link}</p>")


def test_images_keep_their_alt_text_or_take_the_title_flagged(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(org, news, mastodon_target)
    poll(relay, T0)
    news.add_item(
        "news",
        "Affiche du festival",
        published=T0,
        image=news.image_url("affiche"),
        image_alt="Une affiche bleue",
    )
    news.add_item("news", "Photo du chantier", published=T0, image=news.image_url("chantier"))
    poll(relay, T0 + timedelta(minutes=10))
    publish_queued()
    alts = {
        s["content"]: [m["description"] for m in s["media_attachments"]]
        for s in mastodon_target.statuses()
    }
    assert sorted(alts.values()) == [["Photo du chantier"], ["Une affiche bleue"]]
    flagged = RelayItem.objects.get(relay=relay, title="Photo du chantier")
    assert (
        flagged.alt_from_title
        and not RelayItem.objects.get(title="Affiche du festival").alt_from_title
    )


def test_a_moved_feed_keeps_its_seen_items(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(org, news, mastodon_target, max_per_hour=10)
    poll(relay, T0)
    news.create_feed("moved", "Actualités de Relais")
    for item in news.feeds["news"].items:  # the same articles at the new address
        news.feeds["moved"].items.append(item)
    news.add_item("moved", "Publiée avant le déménagement", published=T0 + timedelta(minutes=1))
    relay = services.move_source(relay, news.feed_url("moved"), now=T0 + timedelta(minutes=5))
    poll(relay, T0 + timedelta(minutes=10))
    fresh = news.add_item("moved", "Publiée après", published=T0 + timedelta(minutes=12))
    poll(relay, T0 + timedelta(minutes=20))
    publish_queued()
    assert [s["content"] for s in mastodon_target.statuses()] == [
        f"<p>Publiée après</p><p>{fresh.link}</p>"
    ]
    assert RelayItem.objects.filter(relay=relay).count() == 7  # 5 old keys kept, not re-added
    assert (
        RelayItem.objects.get(relay=relay, title="Publiée avant le déménagement").reason == "moved"
    )


def test_approval_mode_puts_the_post_in_the_desk_review_queue(
    org, news: FeedServer, mastodon_target: MastodonTarget
) -> None:
    relay = make_relay(org, news, mastodon_target, approval="review")
    poll(relay, T0)
    news.add_item("news", "À relire", published=T0 + timedelta(minutes=1))
    poll(relay, T0 + timedelta(minutes=10))
    item = RelayItem.objects.get(relay=relay, title="À relire")
    assert item.outcome == Outcome.REVIEW and item.post is not None
    assert item.post.state == Post.State.IN_REVIEW and item.post.author is None
    assert mastodon_target.statuses() == []  # nothing goes out before a member approves
