"""The dashboard's journey: where the organisation stands on the way out of X and what to do
next, read from each app through its `services` only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NextStep:
    label: str | Promise
    url: str


@dataclass(frozen=True)
class Journey:
    accounts: list[Any]
    last_import: Any | None
    to_review: int
    accepted: int
    migrations: list[Any]
    migrated: bool
    next_step: NextStep | None


def journey_of(org: Any) -> Journey:
    from envol.crosswalk import services as crosswalk
    from envol.migration import services as migration
    from envol.portability import services as portability

    accounts = list(org.accounts.order_by("network", "handle"))
    last_import = portability.latest_import(org)
    to_review, accepted = crosswalk.review_and_accepted_counts(org)
    migrations = migration.jobs_in_progress(org)
    migrated = migration.has_finished_job(org)
    return Journey(
        accounts,
        last_import,
        to_review,
        accepted,
        migrations,
        migrated,
        _next_step(org.slug, accounts, last_import, to_review, accepted, migrations, migrated),
    )


def _next_step(
    slug: str,
    accounts: list[Any],
    last_import: Any | None,
    to_review: int,
    accepted: int,
    migrations: list[Any],
    migrated: bool,
) -> NextStep | None:
    """The first thing not done yet, in the order the journey goes; None once follows moved."""

    def url(name: str) -> str:
        return reverse(name, kwargs={"org": slug})

    if last_import is None:
        return NextStep(_("Import your X archive"), url("portability:upload"))
    if not any(a.network in ("bluesky", "mastodon") for a in accounts):
        return NextStep(_("Connect a Bluesky or Mastodon account"), url("orgs:accounts"))
    if to_review:
        return NextStep(_("Review the proposed matches"), url("crosswalk:matches"))
    if accepted and not migrations and not migrated:
        return NextStep(
            _("Follow the accounts again on Bluesky or Mastodon"), url("migration:index")
        )
    if not accepted:
        return NextStep(
            _("Find the accounts you follow on Bluesky and Mastodon"), url("crosswalk:matches")
        )
    return None
