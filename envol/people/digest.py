"""The weekly email of new matches, for the people who asked for it.

A service function and a management command (`envol manage send_digests`) for now: run it from
a timer (cron, systemd) once a day; each person gets at most one email a week, only when
something new arrived, and each match is emailed once. It becomes a periodic job of the job
engine when that lands (it takes `now`, so it is safe to run from any worker at any time).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from envol.people.models import NewMatch, PersonSpace
from envol.people.services import alive, prune_news

WEEK = timedelta(days=7)
NETWORK_NAMES = {"bluesky": "Bluesky", "mastodon": "Mastodon"}


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


def send_digests(now: datetime | None = None) -> int:
    """Email every opted-in person whose last digest is a week old and who has news; returns
    the emails sent."""
    now = now or timezone.now()
    prune_news()
    due = PersonSpace.objects.filter(weekly_digest=True).exclude(email="")
    due = due.filter(Q(last_digest_at__isnull=True) | Q(last_digest_at__lte=now - WEEK))
    sent = 0
    for space in due.select_related("organisation"):
        with transaction.atomic():
            # Locked (only the news rows) so that two runs at once never email twice.
            news = list(
                alive(
                    NewMatch.objects.select_for_update(of=("self",)).filter(
                        organisation_id=space.organisation_id, emailed_at=None
                    )
                ).values_list("pk", "network")
            )
            counts = dict(Counter(network for _pk, network in news))
            if not counts:
                continue
            with translation.override(space.language or settings.LANGUAGE_CODE):
                lines = digest_lines(counts)
                body = "\n".join(
                    [
                        *lines,
                        "",
                        _("See them and follow them again: %(url)s")
                        % {"url": f"{settings.PUBLIC_URL}/o/{space.organisation.slug}/me/"},
                        "",
                        _("You receive this email because you asked for it. Stop it here: %(url)s")
                        % {"url": f"{settings.PUBLIC_URL}/o/{space.organisation.slug}/me/email/"},
                    ]
                )
                send_mail(lines[0], body, None, [space.email])
            NewMatch.objects.filter(pk__in=[pk for pk, _network in news]).update(emailed_at=now)
            space.last_digest_at = now
            space.save(update_fields=["last_digest_at"])
            sent += 1
    return sent
