"""Messages of `envol history plan|migrate|status…` (the CLI lives outside the app; its strings
are kept here so that the app's catalogue translates them), counts with `ngettext`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from envol.history.moving import Plan

JOB_MISSING = gettext_lazy("History migration %(id)s does not exist.")
IMPORT_MISSING = gettext_lazy("Archive import %(id)s does not exist.")
POSTING = gettext_lazy("Posting")
WAITING = gettext_lazy("Network limit reached: resuming in %(d)s")
FOLLOW_IT = gettext_lazy("Follow it with: envol history status %(id)s")


def duration(seconds: float) -> str:
    """ "2 days and 3 hours", "3 hours and 5 minutes", "4 minutes" (never "0 days")."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = -(-rest // 60) if not (days or hours) else rest // 60
    day_text = ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    hour_text = ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    minute_text = ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    if days:
        return _("%(days)s and %(hours)s") % {"days": day_text, "hours": hour_text}
    if hours:
        return _("%(hours)s and %(minutes)s") % {"hours": hour_text, "minutes": minute_text}
    return minute_text


def plan_lines(plan: Plan) -> list[str]:
    """The planner, before anything is sent."""
    lines = [
        ngettext(
            "%(n)s post → %(records)s Bluesky record",
            "%(n)s posts → %(records)s Bluesky records",
            plan.posts,
        )
        % {"n": plan.posts, "records": plan.records},
        ngettext(
            "%(n)s long post split into a thread",
            "%(n)s long posts split into threads",
            plan.long_posts,
        )
        % {"n": plan.long_posts},
        ngettext(
            "%(n)s reply in your own threads", "%(n)s replies in your own threads", plan.replies
        )
        % {"n": plan.replies},
        ngettext("%(n)s quote", "%(n)s quotes", plan.quotes) % {"n": plan.quotes},
    ]
    if plan.images:
        lines.append(
            ngettext("%(n)s image with the post", "%(n)s images with their posts", plan.images)
            % {"n": plan.images}
        )
    if plan.videos:
        lines.append(
            ngettext(
                "%(n)s video or GIF with its post",
                "%(n)s videos or GIFs with their posts",
                plan.videos,
            )
            % {"n": plan.videos}
        )
    if plan.images_without_alt:
        lines.append(
            ngettext(
                "%(n)s image has no alt text in the archive: write it",
                "%(n)s images have no alt text in the archive: write it",
                plan.images_without_alt,
            )
            % {"n": plan.images_without_alt}
        )
    if plan.media_not_carried:
        lines.append(
            ngettext(
                "%(n)s video, GIF or file not kept is not carried (the archive site keeps it)",
                "%(n)s videos, GIFs or files not kept are not carried (the archive site keeps "
                "them)",
                plan.media_not_carried,
            )
            % {"n": plan.media_not_carried}
        )
    if plan.skipped:
        lines.append(
            ngettext(
                "%(n)s post skipped (nothing Bluesky can show)",
                "%(n)s posts skipped (nothing Bluesky can show)",
                plan.skipped,
            )
            % {"n": plan.skipped}
        )
    if plan.alongside:
        lines.append(
            ngettext(
                "%(n)s write of the account's other jobs shares the budget",
                "%(n)s writes of the account's other jobs share the budget",
                plan.alongside,
            )
            % {"n": plan.alongside}
        )
    lines.append(_("Time within the account's rate budget: %(d)s") % {"d": duration(plan.seconds)})
    lines.append(
        _(
            "Each post keeps its original date: Bluesky shows such posts as archived "
            "(“Archived from …”)."
        )
    )
    return lines


def created(job_id: int, records: int) -> str:
    return ngettext(
        "History migration %(id)s created (%(n)s record); the workers run it.",
        "History migration %(id)s created (%(n)s records); the workers run it.",
        records,
    ) % {"id": job_id, "n": records}
