"""The weekly email of new matches, for the people who asked for it: a job of the engine.

Each person who opted in has a `WeeklyDigest` job, due when their next email may go. A step
sends at most one email per ISO week and at least a week after the previous one, only when
something new arrived (else it looks again a day later); each match is told once.

Exactly once, SIGKILL included: the step first claims the week in one transaction (the week
written on the job, the news marked emailed), commits, then hands the email to the mail server,
then writes `sent_at`. A later step that finds the week claimed but `sent_at` empty knows a
worker died in between; it cannot know whether the mail left, so it never sends it again.

`envol manage send_digests` stays as a manual trigger: it makes every active digest due now and
steps it (a worker holding one keeps it).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from envol.jobs.kinds import Outcome, Step, later, to
from envol.jobs.runner import step as step_job
from envol.jobs.transitions import move
from envol.people.models import NewMatch, PersonSpace, WeeklyDigest
from envol.people.services import alive, prune_news

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
LOOK_AGAIN = timedelta(days=1)  # nothing new yet: when to look again
NETWORK_NAMES = {"bluesky": "Bluesky", "mastodon": "Mastodon"}


def iso_week(moment: datetime) -> str:
    year, week, _day = moment.isocalendar()
    return f"{year}-W{week:02d}"


def digest_lines(counts: dict[str, int]) -> list[str]:
    """ "12 comptes que vous suiviez sur X sont maintenant sur Bluesky", one line a network."""
    return [
        ngettext(
            "%(count)d account you followed on X is now on %(network)s",
            "%(count)d accounts you followed on X are now on %(network)s",
            count,
        )
        % {"count": count, "network": NETWORK_NAMES.get(network, network)}
        for network, count in sorted(counts.items())
        if count
    ]


def schedule(space: PersonSpace) -> WeeklyDigest:
    """Start or stop the person's digest job as their settings say (the email page calls it)."""
    wanted = bool(space.weekly_digest and space.email)
    digest, _created = WeeklyDigest.objects.get_or_create(
        space=space,
        defaults={"state": WeeklyDigest.State.ACTIVE if wanted else WeeklyDigest.State.STOPPED},
    )
    target = WeeklyDigest.State.ACTIVE if wanted else WeeklyDigest.State.STOPPED
    if digest.state != target:
        move(digest, target)
    return digest


def send_weekly(digest: WeeklyDigest, step: Step) -> Outcome:
    """One step of a person's digest: send this week's email if it is time and there is news."""
    space = digest.space
    now = step.now
    if not (space.weekly_digest and space.email):
        return to(WeeklyDigest.State.STOPPED)
    week = iso_week(now)
    if digest.week == week:
        if digest.sent_at is None:
            log.warning(
                "digest %s: week %s claimed but not sent (a worker died): skipped", digest.pk, week
            )
        return later(_next_week(now))
    if space.last_digest_at is not None and now < space.last_digest_at + WEEK:
        return later(space.last_digest_at + WEEK)
    news = _claim(digest, space, week, now)
    if news is None:  # claimed meanwhile by another step: nothing to do this week
        return later(_next_week(now))
    if not news:
        return later(now + LOOK_AGAIN)
    _send(space, Counter(news))
    WeeklyDigest.objects.filter(pk=digest.pk, week=week).update(sent_at=now)
    PersonSpace.objects.filter(pk=space.pk).update(last_digest_at=now)
    return later(now + WEEK)


def _next_week(now: datetime) -> datetime:
    """Monday 00:00 of the next ISO week, in the instance's time zone."""
    local = timezone.localtime(now)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday + WEEK


def _claim(digest: WeeklyDigest, space: PersonSpace, week: str, now: datetime) -> list[str] | None:
    """In one transaction: the networks of the news not emailed yet (marked emailed), and the
    week written on the job. None when the week was claimed already; [] when nothing is new."""
    with transaction.atomic():
        # Locked (only the news rows) so that two claims at once never tell the same news.
        news = list(
            alive(
                NewMatch.objects.select_for_update(of=("self",)).filter(
                    organisation_id=space.organisation_id, emailed_at=None
                )
            ).values_list("pk", "network")
        )
        if not news:
            return []
        claimed = (
            WeeklyDigest.objects.filter(pk=digest.pk)
            .exclude(week=week)
            .update(week=week, claimed_at=now, sent_at=None)
        )
        if not claimed:
            return None
        NewMatch.objects.filter(pk__in=[pk for pk, _network in news]).update(emailed_at=now)
    return [network for _pk, network in news]


def _send(space: PersonSpace, counts: Counter[str]) -> None:
    slug = space.organisation.slug
    with translation.override(space.language or settings.LANGUAGE_CODE):
        lines = digest_lines(dict(counts))
        body = "\n".join(
            [
                *lines,
                "",
                _("See them and follow them again: %(url)s")
                % {"url": f"{settings.PUBLIC_URL}/o/{slug}/me/"},
                "",
                _("You receive this email because you asked for it. Stop it here: %(url)s")
                % {"url": f"{settings.PUBLIC_URL}/o/{slug}/me/email/"},
            ]
        )
        send_mail(lines[0], body, None, [space.email])


def send_digests(now: datetime | None = None) -> int:
    """The manual trigger: every active digest made due `now` and stepped here (one a worker
    holds is left to it); returns the emails sent."""
    now = now or timezone.now()
    prune_news()
    active = WeeklyDigest.objects.filter(state=WeeklyDigest.State.ACTIVE)
    active.update(due_at=now)
    sent = 0
    for digest in active.order_by("pk"):
        before = digest.sent_at
        step_job(digest, clock=lambda: now)
        digest.refresh_from_db()
        sent += digest.sent_at is not None and digest.sent_at != before
    return sent
