"""Daily metric snapshots as a job of the engine, against the real servers: the Bluesky PDS with
its real AppView (a like by another account raises the count) and the Mastodon test server
(favourites, boosts, account statistics as Mastodon counts them). Re-running a day updates,
never duplicates; a failed run stores nothing and says why; a killed worker's run resumes."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from django.test import Client, override_settings
from django.utils import timezone

from envol.cli import main
from envol.insights.models import ChannelMetric, ChannelPost, PostMetric, SnapshotJob
from envol.insights.services import channel_for_account
from envol.insights.snapshots import run_now, snapshot_job_for
from envol.insights.tests.conftest import member
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import AuditEvent, ConnectedAccount, Organisation, Role
from envol.orgs.services import create_organisation
from envol.publishing import services as publishing
from envol.testing.appview import BlueskyNetwork
from envol.testing.fixtures.pds import connected_bluesky
from envol.testing.mastodon.server import MastodonTestServer
from envol.testing.subprocess_db import start_worker


def mastodon_connected(org: Organisation, account: Any) -> ConnectedAccount:
    return connect_with_token(org, account.api_base_url, account.token)


def run_once(job: SnapshotJob, now: datetime) -> SnapshotJob:
    """One whole run at `now` (a clock that stays there)."""
    return run_now(job, clock=lambda: now)


def later_the_same_day(now: datetime, hours: int) -> datetime:
    """`hours` after `now`, or the local day's last second if that is sooner: a second reading
    the same day (in Paris, an hour after 23:00 is the next day's reading)."""
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    return max(now, min(now + timedelta(hours=hours), end_of_day))


def post_values(remote_id: str) -> dict[tuple[str, Any], float | None]:
    return {
        (m.metric, m.day): m.value for m in PostMetric.objects.filter(post__remote_id=remote_id)
    }


def channel_values(account: ConnectedAccount) -> dict[tuple[str, Any], float | None]:
    return {
        (m.metric, m.day): m.value
        for m in ChannelMetric.objects.filter(channel__connected_account=account)
    }


@pytest.mark.django_db(transaction=True)  # publishing reads the post from its own threads
def test_mastodon_counts_are_read_from_the_home_server_and_a_day_is_updated_not_doubled(
    org: Organisation,
    mastodon_server: MastodonTestServer,
    mastodon_account: Callable[..., Any],
) -> None:
    author, fan, other = mastodon_account("ville"), mastodon_account("fan"), mastodon_account("x")
    first = mastodon_server.seed_status(author.username, "Crue : la Vilaine monte. #crue")
    second = mastodon_server.seed_status(author.username, "Marché mercredi.")
    mastodon_server.seed_favourite(fan.username, first["id"])
    mastodon_server.seed_reblog(fan.username, first["id"])
    mastodon_server.seed_follow(fan.username, author.username)
    boosted = mastodon_server.seed_status(other.username, "x")
    mastodon_server.seed_reblog(author.username, boosted["id"])
    account = mastodon_connected(org, author)
    published = publishing.create_post(org, "Publié par envol.", [account])
    assert not any(o.error for o in publishing.publish(published))
    publication = published.publications.get()
    job = snapshot_job_for(account)
    assert job is not None
    now = timezone.now() + timedelta(minutes=1)
    today = timezone.localdate(now)

    job = run_once(job, now)
    assert job.last_error == "" and job.last_day == today
    assert job.due_at == now + timedelta(hours=24)  # the next run, a day later
    posts = ChannelPost.objects.filter(channel__connected_account=account)
    assert sorted(posts.values_list("remote_id", flat=True)) == sorted(
        [first["id"], second["id"], publication.remote_id]
    )
    assert posts.get(remote_id=publication.remote_id).publication == publication
    assert posts.get(remote_id=first["id"]).publication is None  # posted from the app
    assert posts.get(remote_id=first["id"]).tags == " crue "  # boosts of others left out
    assert post_values(first["id"]) == {
        ("likes", today): 1,
        ("shares", today): 1,
        ("comments", today): 0,
        ("engagements", today): 2,
    }  # Mastodon gives no quotes: absent, not stored
    assert channel_values(account) == {
        ("followers", today): 1,
        ("following", today): 0,
        ("posts", today): 4,
    }

    mastodon_server.seed_favourite(other.username, first["id"])
    rows = PostMetric.objects.count()
    run_once(job, later_the_same_day(now, hours=1))
    assert PostMetric.objects.count() == rows  # the same day: updated, never doubled
    assert post_values(first["id"])[("likes", today)] == 2

    tomorrow = now + timedelta(days=1)
    run_once(job, tomorrow)
    assert post_values(first["id"])[("likes", timezone.localdate(tomorrow))] == 2
    assert PostMetric.objects.count() == rows + 12  # 3 posts, 4 metrics each


@pytest.mark.django_db
def test_envol_insights_snapshot_reads_every_account_now_and_fails_loudly(
    org: Organisation,
    mastodon_server: MastodonTestServer,
    mastodon_account: Callable[..., Any],
) -> None:
    author = mastodon_account("ville")
    mastodon_server.seed_status(author.username, "Bonjour.")
    account = mastodon_connected(org, author)
    command = ["insights", "snapshot", "--org", org.slug, "--json"]

    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    [run] = orjson.loads(result.output)
    assert run == {
        "account": author.address,
        "network": "mastodon",
        "day": timezone.localdate().isoformat(),
        "posts": 1,
        "error": None,
    }
    assert channel_values(account)[("posts", timezone.localdate())] == 1

    token = account.get_credentials()["access_token"]
    account.set_credentials({"access_token": "revoked"})
    account.save()
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)[0]["error"]

    # Too many errors in a row fail the readings; connecting the account again resumes them.
    SnapshotJob.objects.filter(account=account).update(state=SnapshotJob.State.FAILED)
    connect_with_token(org, author.api_base_url, token)
    assert SnapshotJob.objects.get(account=account).state == SnapshotJob.State.COLLECTING


@pytest.mark.django_db
def test_bluesky_counts_come_from_the_appview_and_a_like_raises_them(
    org: Organisation, bluesky_network: BlueskyNetwork
) -> None:
    author = bluesky_network.create_account("ville")
    fans = [bluesky_network.create_account("fan") for _ in range(2)]
    post = bluesky_network.post(author, "Alerte crue. #CrueVilaine")
    bluesky_network.wait_until_indexed(bluesky_network.like(fans[0], post))
    bluesky_network.wait_until_indexed(bluesky_network.repost(fans[1], post))
    bluesky_network.wait_until_indexed(bluesky_network.follow(fans[0], author))
    bluesky_network.counts_of(post, likeCount=1, repostCount=1)
    account = connected_bluesky(org, bluesky_network.pds, author)
    job = snapshot_job_for(account)
    assert job is not None
    now = timezone.now() + timedelta(minutes=1)
    today = timezone.localdate(now)

    with override_settings(ENVOL_BLUESKY_APPVIEW=bluesky_network.appview_url):
        job = run_once(job, now)
        assert job.last_error == "", job.last_error
        assert post_values(post.uri) == {
            ("likes", today): 1,
            ("shares", today): 1,
            ("comments", today): 0,
            ("quotes", today): 0,
            ("engagements", today): 2,
        }
        assert channel_values(account) == {
            ("followers", today): 1,
            ("following", today): 0,
            ("posts", today): 1,
        }
        assert ChannelPost.objects.get(remote_id=post.uri).tags == " cruevilaine "

        bluesky_network.wait_until_indexed(bluesky_network.like(fans[1], post))
        bluesky_network.counts_of(post, likeCount=2, repostCount=1)
        rows = PostMetric.objects.count()
        run_once(job, later_the_same_day(now, hours=2))
    assert post_values(post.uri)[("likes", today)] == 2  # the other account's like counted
    assert PostMetric.objects.count() == rows


@pytest.mark.django_db
def test_a_failed_run_stores_nothing_and_says_why(
    org: Organisation, bluesky_network: BlueskyNetwork, viewer: Client
) -> None:
    """A local PDS without an AppView configured: no counts can be read, none are invented."""
    author = bluesky_network.create_account("ville")
    bluesky_network.post(author, "Bonjour.")
    job = snapshot_job_for(connected_bluesky(org, bluesky_network.pds, author))
    assert job is not None
    now = timezone.now() + timedelta(minutes=1)

    job = run_once(job, now)
    assert "AppView" in job.last_error and job.consecutive_errors == 1
    assert job.state == SnapshotJob.State.COLLECTING and job.due_at and job.due_at > now
    assert job.last_day is None
    assert not ChannelMetric.objects.exists() and not PostMetric.objects.exists()

    page = viewer.get(f"/o/{org.slug}/insights/channels/{job.account.channel.pk}/")
    assert page.status_code == 200
    assert "AppView" in page.content.decode() and b'id="readings-error"' in page.content


@pytest.mark.django_db
def test_a_rate_limited_run_waits_for_the_window_without_counting_an_error(
    org: Organisation,
) -> None:
    with MastodonTestServer.start() as server:  # its own server: the budget changes
        _account, token = server.create_account("ville")
        server.seed_status("ville", "Bonjour.")
        account = connect_with_token(org, server.url, token)
        server.set_budget("api", 1, 300)
        job = snapshot_job_for(account)
        assert job is not None
        now = timezone.now()

        job = run_now(job, clock=lambda: now)
    assert job.last_error == "" and job.consecutive_errors == 0
    assert job.due_at is not None and now < job.due_at <= now + timedelta(seconds=301)
    assert not ChannelMetric.objects.exists() and not PostMetric.objects.exists()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout} s"
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_run_killed_between_pages_resumes_and_stores_each_value_once(
    org: Organisation,
    mastodon_server: MastodonTestServer,
    mastodon_account: Callable[..., Any],
) -> None:
    """Two pages of statuses (40 per page): the real worker is SIGKILLed once the first page is
    committed; the next worker resumes at the cursor and every post has one value a day."""
    author = mastodon_account("ville")
    for n in range(45):
        mastodon_server.seed_status(author.username, f"Annonce {n}")
    account = mastodon_connected(org, author)
    job = snapshot_job_for(account)
    assert job is not None

    worker = start_worker()
    try:
        wait_for(
            lambda: (
                SnapshotJob.objects.filter(pk=job.pk).exclude(cursor="").exists()
                or SnapshotJob.objects.filter(pk=job.pk, last_day__isnull=False).exists()
            ),
            120,
            "the first page",
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        worker.kill()
    killed = SnapshotJob.objects.get(pk=job.pk)
    if killed.last_day is None:  # the usual case: killed with the first page committed
        assert killed.cursor and killed.posts_read == 40
    successor = start_worker()
    try:
        wait_for(
            lambda: SnapshotJob.objects.filter(pk=job.pk, last_day__isnull=False).exists(),
            120,
            "the run to end",
        )
    finally:
        successor.terminate()
        successor.wait(timeout=30)
    job.refresh_from_db()
    assert job.last_error == "" and job.cursor == "" and job.posts_read == 45
    assert ChannelPost.objects.filter(channel__connected_account=account).count() == 45
    assert PostMetric.objects.filter(metric="likes").count() == 45  # one a post, one day
    assert ChannelMetric.objects.filter(metric="posts").get().value == 45


@pytest.mark.django_db
def test_an_admin_pauses_and_resumes_the_readings_from_the_channel_page(
    org: Organisation, mastodon_account: Callable[..., Any], editor: Client
) -> None:
    """Paused readings are not run (the counts read stay); resuming makes them due at once.
    Only an administrator may do either; an editor and another organisation are refused."""
    job = snapshot_job_for(mastodon_connected(org, mastodon_account("ville")))
    assert job is not None
    page_url = f"/o/{org.slug}/insights/channels/{channel_for_account(job.account).pk}/"
    action_url = page_url + "readings/"
    admin = member(org, Role.ADMIN)
    assert b'value="pause"' in admin.get(page_url).content
    assert b'value="pause"' not in editor.get(page_url).content

    assert editor.post(action_url, {"action": "pause"}).status_code == 404  # as for no member
    job.refresh_from_db()
    assert job.state == SnapshotJob.State.COLLECTING

    done = admin.post(action_url, {"action": "pause"}, follow=True, HTTP_ACCEPT_LANGUAGE="fr")
    job.refresh_from_db()
    assert job.state == SnapshotJob.State.PAUSED
    assert "Relevés suspendus." in done.content.decode()
    assert b'value="resume"' in done.content
    assert AuditEvent.objects.filter(action="insights.readings_paused").exists()
    later = timezone.now() + timedelta(days=2)
    assert run_once(job, later).last_day is None  # a paused job is not run

    again = admin.post(action_url, {"action": "pause"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "cannot be changed that way" in again.content.decode()
    assert admin.post(action_url, {"action": "resume"}).status_code == 302
    job.refresh_from_db()
    assert job.state == SnapshotJob.State.COLLECTING
    assert job.due_at is not None and job.due_at <= timezone.now()
    assert admin.post(action_url, {"action": "unknown"}).status_code == 404
    assert admin.get(action_url).status_code == 405

    other = create_organisation("brest", "Brest")
    outsider = snapshot_job_for(mastodon_connected(other, mastodon_account("brest")))
    assert outsider is not None
    stranger = f"/o/{org.slug}/insights/channels/{channel_for_account(outsider.account).pk}/"
    assert admin.post(stranger + "readings/", {"action": "pause"}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.state == SnapshotJob.State.COLLECTING
