"""What the `envol relay` commands print, in French and English (counts with ngettext)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from envol.relays.models import Relay
from envol.relays.services import DryRun, RelayRow, reason_label


def when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def no_account(names: Iterable[str], org_slug: str) -> str:
    return _(
        "No connected account %(names)s in %(org)s: see `envol accounts list --org %(org)s`."
    ) % {
        "names": ", ".join(names),
        "org": org_slug,
    }


def no_relay(relay_id: int) -> str:
    return _("No relay %(id)s.") % {"id": relay_id}


def created(relay: Relay) -> str:
    return _(
        "Relay %(id)s created: “%(name)s”. Its first poll takes place at the workers' next round."
    ) % {
        "id": relay.pk,
        "name": relay.name,
    }


def paused(relay: Relay, done: bool) -> str:
    if done:
        return _("Relay %(id)s is paused.") % {"id": relay.pk}
    return _("Relay %(id)s was not running.") % {"id": relay.pk}


def resumed(relay: Relay, done: bool) -> str:
    if done:
        return _("Relay %(id)s is running again.") % {"id": relay.pk}
    return _("Relay %(id)s was not paused.") % {"id": relay.pk}


def busy(relay: Relay) -> str:
    return _("Relay %(id)s is being polled by a worker right now.") % {"id": relay.pk}


def row(line: RelayRow) -> str:
    relay = line.relay
    targets = ", ".join(a.handle for a in line.targets)
    relayed = ngettext("%(count)d relayed today", "%(count)d relayed today", line.relayed_today) % {
        "count": line.relayed_today
    }
    failures = (
        ngettext("%(count)d failed poll", "%(count)d failed polls", relay.error_count)
        % {"count": relay.error_count}
        if relay.error_count
        else ""
    )
    parts = [
        f"{relay.pk}",
        relay.name,
        f"{relay.get_source_kind_display()} {relay.source}",
        f"→ {targets}",
        str(relay.get_state_display()),
        _("last poll %(at)s") % {"at": when(relay.last_poll_at)},
        _("next poll %(at)s") % {"at": when(relay.due_at)},
        relayed,
    ]
    return " · ".join(p for p in [*parts, failures] if p)


def no_relays(org_slug: str) -> str:
    return _("%(org)s has no relay.") % {"org": org_slug}


def paused_all() -> str:
    return _("Every relay of the organisation is paused (kill switch).")


def dry_run(result: DryRun) -> list[str]:
    """The next poll, as the dry run sees it: counts, then each item per target with its parts."""
    lines = [
        ngettext("%(count)d item read", "%(count)d items read", result.read)
        % {"count": result.read}
        + ", "
        + ngettext("%(count)d new", "%(count)d new", result.new) % {"count": result.new}
        + ", "
        + ngettext(
            "%(count)d would be published", "%(count)d would be published", len(result.planned)
        )
        % {"count": len(result.planned)}
    ]
    for reason, count in sorted(result.skipped.items()):
        lines.append(
            "  "
            + ngettext("%(count)d skipped: %(reason)s", "%(count)d skipped: %(reason)s", count)
            % {"count": count, "reason": reason_label(reason)}
        )
    if result.quiet_until:
        lines.append("  " + _("Quiet hours until %(at)s.") % {"at": when(result.quiet_until)})
    if result.waiting_after:
        lines.append(
            "  "
            + ngettext(
                "%(count)d more would wait for the hourly limit",
                "%(count)d more would wait for the hourly limit",
                result.waiting_after,
            )
            % {"count": result.waiting_after}
        )
    for planned in result.planned:
        lines.append(f"• {planned.title}")
        for variant in planned.variants:
            account = variant.account
            lines.append(
                f"  {account.get_network_display()} {account.handle}: "
                + ngettext("%(count)d part", "%(count)d parts", len(variant.parts))
                % {"count": len(variant.parts)}
            )
            for index, (part, count) in enumerate(
                zip(variant.parts, variant.counts, strict=True), 1
            ):
                lines.append(f"    [{index}] ({count}/{variant.limit}) {part}")
    return lines


def ran(new: int, relayed: int, waiting: int, published: int) -> str:
    return ", ".join(
        [
            ngettext("%(count)d new item", "%(count)d new items", new) % {"count": new},
            ngettext("%(count)d handed to publishing", "%(count)d handed to publishing", relayed)
            % {"count": relayed},
            ngettext("%(count)d waiting", "%(count)d waiting", waiting) % {"count": waiting},
            ngettext("%(count)d post published", "%(count)d posts published", published)
            % {"count": published},
        ]
    )


def moved(relay: Relay) -> str:
    return _(
        "Relay %(id)s now reads %(source)s; the items it has seen stay seen, and only items "
        "published from now on are relayed."
    ) % {"id": relay.pk, "source": relay.source}
