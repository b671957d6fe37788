"""When a relay polls and publishes: its jittered interval, backoff on errors, quiet hours, and
at most N posts an hour on each target account.

The hourly count is kept per target account across all the organisation's relays (a target's
audience is what pacing protects): the items relayed to it in the last hour, read from
`RelayItem.relayed_at`, stamped with the engine's clock, so tests hold at any hour.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Min
from django.utils import timezone

from envol.relays.models import Outcome, RelayItem

JITTER = 0.1  # ± 10 % of the interval, so that relays created together do not poll together
MAX_BACKOFF = timedelta(hours=6)
HOUR = timedelta(hours=1)


def next_poll(relay: Any, now: datetime) -> datetime:
    """Now plus the relay's interval, jittered (the same for a given relay and attempt: the
    runner's order stays reproducible)."""
    interval = timedelta(minutes=max(relay.interval_minutes, 1))
    spread = random.Random(f"{relay.pk}:{relay.attempts}").uniform(-JITTER, JITTER)
    return now + interval * (1 + spread)


def backoff(relay: Any, failures: int, now: datetime) -> datetime:
    """After `failures` failed polls in a row: the interval doubled each time, up to 6 hours."""
    interval = timedelta(minutes=max(int(relay.interval_minutes), 1))
    wait: timedelta = min(interval * 2 ** min(failures - 1, 16), MAX_BACKOFF)
    return now + wait


def quiet_until(relay: Any, now: datetime) -> datetime | None:
    """The end of the quiet hours when `now` falls in them (in the instance's time zone; a
    window may run past midnight), else None."""
    start, end = relay.quiet_start, relay.quiet_end
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    moment = local.time()
    inside = start <= moment < end if start < end else moment >= start or moment < end
    if not inside:
        return None
    return _next_occurrence(local, end)


def _next_occurrence(local: datetime, at: time) -> datetime:
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = timezone.localtime(candidate + timedelta(days=1)).replace(
            hour=at.hour, minute=at.minute
        )
    return candidate


def room(relay: Any, account_ids: list[int], now: datetime) -> tuple[int, datetime | None]:
    """(posts this relay may still hand over this hour, given every target's count; when the
    fullest target frees a place). One query per target."""
    left, frees_at = relay.max_per_hour, None
    for account_id in account_ids:
        recent = RelayItem.objects.filter(
            outcome=Outcome.RELAYED,
            relayed_at__gt=now - HOUR,
            relay__targets__account_id=account_id,
        )
        count = recent.count()
        if relay.max_per_hour - count < left:
            left = relay.max_per_hour - count
            oldest = recent.aggregate(first=Min("relayed_at"))["first"]
            frees_at = oldest + HOUR if oldest else None
    return max(left, 0), frees_at
