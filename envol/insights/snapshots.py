"""Metric snapshots of the connected Bluesky and Mastodon accounts, as a job of the engine.

One `SnapshotJob` per connected account, created with the account (and for the accounts that
existed before, by the migration). A run reads, for the day it describes:
1. the account's followers, following and posts (Bluesky: `app.bsky.actor.getProfile` on the
   AppView; Mastodon: the account on its home server);
2. its own posts of the last `ENVOL_SNAPSHOT_POST_DAYS` days with their counts, one page per
   step (Bluesky: `getAuthorFeed`; Mastodon: `/api/v1/accounts/:id/statuses`), each stored as a
   `ChannelPost` tied to its `Publication` when envol published it.
Reads come first and writes after, in the step's one transaction with the job's cursor: a
network error stores nothing (never a zero) and is retried by the engine; a killed worker
loses its step and the next one reads the same page again. Values are upserts per
(post, metric, day) and (channel, metric, day): re-running a day updates, never duplicates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from envol.insights import services
from envol.insights.exports.parse import PostRecord
from envol.insights.models import Channel, ChannelPost, SnapshotJob, Source
from envol.jobs.kinds import Clock, Outcome, Step, later, retry
from envol.jobs.runner import step
from envol.jobs.transitions import change_state, move
from envol.networks.base import (
    AccountMetrics,
    Network,
    NetworkError,
    OwnPost,
    OwnPostsPage,
    RateLimited,
)
from envol.networks.metrics import Metric
from envol.orgs.accounts import AccountError, network_for
from envol.orgs.models import ConnectedAccount
from envol.orgs.services import audit

MEASURED_NETWORKS = ("bluesky", "mastodon")


def snapshot_job_for(account: ConnectedAccount) -> SnapshotJob | None:
    """The account's snapshot job, created on first use (due at once: the first run backfills).
    None for a network envol does not measure."""
    if account.network not in MEASURED_NETWORKS:
        return None
    job, _created = SnapshotJob.objects.get_or_create(account=account)
    return job


def resume_after_reconnect(account: ConnectedAccount) -> None:
    """Readings that failed (too many errors in a row, e.g. revoked credentials) start again
    once the account works again (connected anew, or re-checked)."""
    if account.status != ConnectedAccount.Status.OK:
        return
    failed = SnapshotJob.objects.filter(account=account, state=SnapshotJob.State.FAILED).first()
    if failed is not None:
        move(failed, SnapshotJob.State.COLLECTING, reason="account reconnected")


def collect(job: SnapshotJob, step: Step) -> Outcome:
    """One step of a run: the account's counts and the first page of its posts, or the next
    page; when no page is left, the next run is due `ENVOL_SNAPSHOT_EVERY_HOURS` after this
    one began."""
    starting = not job.cursor
    day = job.run_day if job.run_day and not starting else timezone.localdate(step.now)
    began = job.run_started_at if job.run_started_at and not starting else step.now
    since = step.now - timedelta(days=settings.ENVOL_SNAPSHOT_POST_DAYS)
    channel = services.channel_for_account(job.account)  # its page says how readings go
    try:
        adapter = _adapter(job, step)
        profile = adapter.account_metrics() if starting else None
        page = adapter.own_posts(since, job.cursor or None)
    except RateLimited as exc:
        return later(max(exc.reset_at, step.now))  # the account's window, not an error
    except (NetworkError, AccountError) as exc:
        return retry(str(exc) or type(exc).__name__)
    if profile is not None:
        _store_account(channel, day, profile, step.now)
    _store_posts(channel, job.account, day, page, step.now)
    read = (0 if starting else job.posts_read) + len(page.posts)
    if page.cursor:
        return Outcome(
            fields={
                "run_day": day,
                "run_started_at": began,
                "cursor": page.cursor,
                "posts_read": read,
            }
        )
    return Outcome(
        due=began + timedelta(hours=settings.ENVOL_SNAPSHOT_EVERY_HOURS),
        fields={
            "run_day": None,
            "run_started_at": None,
            "cursor": "",
            "posts_read": read,
            "last_day": day,
        },
    )


class ReadingsError(Exception):
    """A pause or resume the readings' state does not allow (the message is for people)."""


def pause_readings(job: SnapshotJob, actor: Any = None) -> None:
    """Stop the account's daily readings (e.g. while its API access is reviewed); the counts
    already read stay. A run in progress stops after its page."""
    _change_readings(job, SnapshotJob.State.PAUSED, actor)


def resume_readings(job: SnapshotJob, actor: Any = None) -> None:
    """Read again, at once (also after failed readings: the error is shown until then)."""
    _change_readings(job, SnapshotJob.State.COLLECTING, actor)


def _change_readings(job: SnapshotJob, wanted: str, actor: Any) -> None:
    change_state(
        job,
        wanted,
        actor=actor,
        error_class=ReadingsError,
        refused=_("The readings are in the state “%(state)s”: they cannot be changed that way."),
        busy=_("The readings are changing right now: try again."),
    )
    audit(
        f"insights.readings_{job.state}",
        organisation=job.account.organisation,
        actor=actor,
        obj=job,
    )


def collect_now(job: SnapshotJob, now: datetime) -> None:
    """Make the job due at once (the CLI's `envol insights snapshot`)."""
    SnapshotJob.objects.filter(pk=job.pk, state=SnapshotJob.State.COLLECTING).update(due_at=now)


def run_now(job: SnapshotJob, clock: Clock = timezone.now, max_steps: int = 1000) -> SnapshotJob:
    """A whole run in this process, now: steps until the run read its last page, failed (the
    reason in `last_error`) or a worker holds the job (it then finishes the run itself)."""
    began = clock()
    collect_now(job, began)
    for _attempt in range(max_steps):
        stepped = step(job, clock=clock)
        job.refresh_from_db()
        if not stepped.ran or job.last_error or not job.cursor:  # no cursor: the run ended
            break
    return job


def run_summary(job: SnapshotJob) -> dict[str, Any]:
    """`envol insights snapshot --json`: one object per account."""
    return {
        "account": job.account.handle,
        "network": job.account.network,
        "day": job.last_day.isoformat() if job.last_day else None,
        "posts": job.posts_read,
        "error": job.last_error or None,
    }


def _adapter(job: SnapshotJob, step: Step) -> Network:
    adapter = step.context.get("adapter")
    if adapter is None:
        adapter = step.context["adapter"] = network_for(job.account, clock=step.clock)
    assert isinstance(adapter, Network)
    return adapter


def _store_account(channel: Channel, day: date, profile: AccountMetrics, now: datetime) -> None:
    counts = {
        Metric.FOLLOWERS: profile.followers,
        Metric.FOLLOWING: profile.following,
        Metric.POSTS: profile.posts,
    }
    values = services.measured(channel.platform, _known(counts))
    services.write_channel_values(
        channel, [(day, values)], source=Source.SNAPSHOT, observed_at=profile.fetched_at or now
    )


def _store_posts(
    channel: Channel, account: ConnectedAccount, day: date, page: OwnPostsPage, now: datetime
) -> None:
    if not page.posts:
        return
    records = [_record(post) for post in page.posts]
    post_ids, _new = services.upsert_posts(channel, records)
    _tie_publications(channel, account, page.posts)
    services.write_post_values(
        [
            (
                post_ids[_remote_id(post)],
                day,
                services.measured(channel.platform, _post_counts(post)),
            )
            for post in page.posts
        ],
        source=Source.SNAPSHOT,
        observed_at=now,
    )


def _remote_id(post: OwnPost) -> str:
    """Bluesky posts are known by their at:// URI, Mastodon statuses by their id on the home
    server (what the pages link and the imports key on)."""
    if post.publication.network == "bluesky":
        return post.publication.uri
    return post.publication.remote_id


def _record(post: OwnPost) -> PostRecord:
    text = strip_tags(post.text) if post.text_is_html else post.text
    return PostRecord(
        remote_id=_remote_id(post),
        published_at=post.created_at,
        url=post.publication.url,
        text=text,
    )


def _post_counts(post: OwnPost) -> dict[Metric, float]:
    """The counts the network gave (a missing one is left out, never stored as zero), and
    engagements as their sum when likes, shares and replies are all known."""
    m = post.metrics
    counts = _known(
        {
            Metric.LIKES: m.likes,
            Metric.SHARES: m.reposts,
            Metric.COMMENTS: m.replies,
            Metric.QUOTES: m.quotes,
        }
    )
    if all(metric in counts for metric in (Metric.LIKES, Metric.SHARES, Metric.COMMENTS)):
        counts[Metric.ENGAGEMENTS] = sum(counts.values())
    return counts


def _known(counts: dict[Metric, Any]) -> dict[Metric, float]:
    return {metric: float(value) for metric, value in counts.items() if value is not None}


def _tie_publications(channel: Channel, account: ConnectedAccount, posts: list[OwnPost]) -> None:
    """Posts envol published get their `Publication` (matched on the network's URI)."""
    from envol.publishing.models import Publication

    by_uri = dict(
        Publication.objects.filter(
            account=account, remote_uri__in=[p.publication.uri for p in posts]
        ).values_list("remote_uri", "pk")
    )
    for post in posts:
        publication_id = by_uri.get(post.publication.uri)
        if publication_id is not None:
            ChannelPost.objects.filter(
                channel=channel, remote_id=_remote_id(post), publication__isnull=True
            ).update(publication_id=publication_id)
