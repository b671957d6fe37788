"""The desk's calendar: drafts, posts in review, scheduled and published posts per day in the
organisation's time zone (a week or a month), and the same schedule as an iCalendar feed at a
secret address per member (revocable; only the token's digest is stored).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from envol.orgs.models import Membership, Organisation
from envol.orgs.services import audit
from envol.publishing.compose import utc_to_local, zone_of
from envol.publishing.models import CalendarFeed, Post, PostState

S = PostState
SHOWN = (
    S.DRAFT,
    S.IN_REVIEW,
    S.APPROVED,
    S.REJECTED,
    S.SCHEDULED,
    S.PUBLISHING,
    S.DONE,
    S.PARTIAL,
    S.FAILED,
)
FEED_PAST = timedelta(days=60)
FEED_FUTURE = timedelta(days=400)


@dataclass
class Entry:
    post: Post
    local: datetime  # when, in the organisation's time zone
    networks: list[str]


@dataclass
class Day:
    day: date
    in_period: bool
    entries: list[Entry] = field(default_factory=list)


def when(post: Post) -> datetime | None:
    """A post's moment on the calendar: when it went out, else when it is planned."""
    if post.state in (S.DONE, S.PARTIAL, S.FAILED) and post.finished_at:
        return post.finished_at
    return post.planned_at


def posts_between(
    org: Organisation, start: datetime, end: datetime, network: str = ""
) -> QuerySet[Post]:
    rows = Post.objects.filter(organisation=org, state__in=SHOWN).filter(
        Q(planned_at__gte=start, planned_at__lt=end)
        | Q(state__in=(S.DONE, S.PARTIAL, S.FAILED), finished_at__gte=start, finished_at__lt=end)
    )
    if network:
        rows = rows.filter(targets__network=network).distinct()
    return rows.prefetch_related("targets").order_by("planned_at", "pk")


def period(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first shown day, day after the last shown day, period start, period end) for a week
    (Monday to Sunday) or a month (whole weeks around it)."""
    if view == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        start = first - timedelta(days=first.weekday())
        end = following + timedelta(days=(7 - following.weekday()) % 7)
        return start, end, first, following
    start = anchor - timedelta(days=anchor.weekday())
    return start, start + timedelta(days=7), start, start + timedelta(days=7)


def days(org: Organisation, view: str, anchor: date, network: str = "") -> list[Day]:
    """Every day shown, each with its posts in time order (local days: a post at 00:30 in Paris
    is on that Paris day, whatever its UTC date)."""
    start, end, first, following = period(view, anchor)
    zone = zone_of(org)
    begin = datetime.combine(start, time()).replace(tzinfo=zone).astimezone(UTC)
    finish = datetime.combine(end, time()).replace(tzinfo=zone).astimezone(UTC)
    shown = {
        start + timedelta(days=n): Day(start + timedelta(days=n), False)
        for n in range((end - start).days)
    }
    for day in shown.values():
        day.in_period = first <= day.day < following
    for post in posts_between(org, begin, finish, network):
        moment = when(post)
        if moment is None:
            continue
        local = utc_to_local(org, moment)
        if local.date() in shown:
            networks = sorted({a.network for a in post.targets.all()})
            shown[local.date()].entries.append(Entry(post, local, networks))
    for day in shown.values():
        day.entries.sort(key=lambda e: e.local)
    return list(shown.values())


def unscheduled(org: Organisation) -> QuerySet[Post]:
    """Drafts and posts in review without a planned time (listed beside the calendar)."""
    return Post.objects.filter(
        organisation=org, planned_at__isnull=True, state__in=(S.DRAFT, S.IN_REVIEW, S.REJECTED)
    ).order_by("-created_at")[:50]


# --------------------------------------------------------------------------- iCalendar feed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def new_feed(user: Any, org: Organisation, now: datetime | None = None) -> str:
    """A new secret token for `user`'s feed of `org` (the previous address stops working)."""
    now = now or timezone.now()
    revoke_feed(user, org, now=now, quiet=True)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(
        user=user, organisation=org, token_digest=_digest(token), created_at=now
    )
    audit("desk.calendar_feed_new", organisation=org, actor=user)
    return token


def revoke_feed(
    user: Any, org: Organisation, *, now: datetime | None = None, quiet: bool = False
) -> int:
    changed = CalendarFeed.objects.filter(
        user=user, organisation=org, revoked_at__isnull=True
    ).update(revoked_at=now or timezone.now())
    if changed and not quiet:
        audit("desk.calendar_feed_revoked", organisation=org, actor=user)
    return changed


def live_feed(user: Any, org: Organisation) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, organisation=org, revoked_at__isnull=True).first()


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed of this token whose member still belongs to the organisation."""
    feed = (
        CalendarFeed.objects.select_related("organisation", "user")
        .filter(token_digest=_digest(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    if not Membership.objects.filter(organisation=feed.organisation, user=feed.user).exists():
        return None
    return feed


def ics(org: Organisation, now: datetime | None = None) -> bytes:
    """The schedule as iCalendar: one event per planned or published post, from two months ago
    to a year ahead (UTC times: every calendar app shows them in its own zone)."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//envol//publishing desk//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"envol — {org.name}")
    calendar.add("x-wr-timezone", zone_of(org).key)
    host = settings.PUBLIC_URL.split("://", 1)[-1].split("/")[0]
    for post in posts_between(org, now - FEED_PAST, now + FEED_FUTURE):
        moment = when(post)
        if moment is None:
            continue
        event = Event()
        event.add("uid", f"post-{post.pk}@{host}")
        networks = ", ".join(sorted({a.get_network_display() for a in post.targets.all()}))
        summary = " ".join(post.text.split())[:60] or "…"
        event.add("summary", f"[{post.get_state_display()}] {summary}")
        event.add("dtstart", moment.astimezone(UTC))
        event.add("duration", timedelta(minutes=15))
        event.add("dtstamp", now.astimezone(UTC))
        event.add("description", f"{networks}\n\n{post.text}")
        event.add(
            "url",
            settings.PUBLIC_URL
            + reverse("publishing:post", kwargs={"org": org.slug, "post_id": post.pk}),
        )
        calendar.add_component(event)
    return bytes(calendar.to_ical())
