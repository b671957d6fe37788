"""Follow migration: create a job from accepted matches, pause, resume, cancel, report; and
`follow_step`, the handler the job engine (`envol.jobs`) runs for each bounded step.

A step, for the job's network (drivers.py): reads the own follows once (`already`), settles items a
crash left `sent`, sizes a batch from the account's shared rate budget, commits the record keys,
reserves the points and sends. When the budget is spent the job parks in `waiting_rate_limit`
until the window resets; a 429 parks it the same way and never fails an item. Nothing is waited
for inside a step: the engine runs the job again when it is due.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envol.jobs.budgets import AccountBudgets
from envol.jobs.kinds import Outcome, Step, again, retry, to
from envol.jobs.transitions import change_state
from envol.migration.drivers import Driver, driver_class, driver_for
from envol.migration.models import (
    OPEN_ITEM_STATES,
    ItemState,
    JobState,
    MigrationItem,
    MigrationJob,
)
from envol.migration.planning import BLUESKY_PACE, MASTODON_PACE, seconds_to_follow
from envol.networks.base import AuthError, Network, NetworkError, RateLimited
from envol.orgs.accounts import AccountError, explain, network_for
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.models import Network as NetworkName
from envol.orgs.services import OrgError, audit
from envol.portability.models import ArchiveImport, Relation
from envol.spreadsheet import safe_cell

NETWORKS = ("bluesky", "mastodon")


class MigrationError(OrgError):
    """A migration cannot be created or changed as asked; the message says why and what to do."""


# What a person's pause, resume or cancel is told when it cannot be done (`_change`).
CANNOT_CHANGE = gettext_lazy("This migration is %(state)s: it cannot be changed that way.")
CHANGING = gettext_lazy("The migration is changing right now: try again.")


# --- the selection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    target: str  # a DID; a Mastodon address in lower case
    handle: str
    x_id: str
    relation_id: int


@dataclass(frozen=True)
class Selection:
    targets: list[Target]
    unresolved: int  # accounts followed on X not found on this network (no match, too weak)
    pending_review: int = 0  # found, waiting for a decision: not "not found"
    rejected: int = 0  # found, and rejected by a person


def selection(org: Organisation, import_id: int, network: str) -> Selection:
    """The accepted matches of one import on one network, one target per remote account."""
    from envol.crosswalk.services import accepted_matches, match_outcomes

    archive = _archive(org, import_id)
    field = "bluesky_did" if network == "bluesky" else "mastodon_address"
    seen: dict[str, Target] = {}
    matched_relations = 0
    for match in accepted_matches(org, archive.pk):
        remote = str(match[field]).strip()
        if not remote:
            continue
        matched_relations += 1
        key = remote if network == "bluesky" else remote.lower().lstrip("@")
        handle = match["bluesky_handle"] if network == "bluesky" else key
        seen.setdefault(key, Target(key, handle or key, match["x_id"], int(match["id"])))
    following = Relation.objects.filter(
        source_account_id=archive.source_account_id, kind=Relation.Kind.FOLLOWING
    ).count()
    outcomes = match_outcomes(archive.pk, network)
    others = outcomes.pending_review + outcomes.rejected
    return Selection(
        list(seen.values()),
        max(following - matched_relations - others, 0),
        outcomes.pending_review,
        outcomes.rejected,
    )


def _archive(org: Organisation, import_id: int) -> ArchiveImport:
    archive = ArchiveImport.objects.filter(pk=import_id, organisation=org).first()
    if archive is None:
        raise MigrationError(
            _("Archive import %(id)s does not exist in this organisation.") % {"id": import_id}
        )
    return archive


def network_name(network: str) -> str:
    """ "Bluesky", not "bluesky", in messages."""
    return str(NetworkName(network).label) if network in NetworkName.values else network


def _check_account(org: Organisation, account: ConnectedAccount, network: str) -> None:
    if network not in NETWORKS:
        raise MigrationError(_("Unknown network '%(network)s'.") % {"network": network})
    if account.organisation_id != org.pk or account.network != network:
        raise MigrationError(
            _("The account %(handle)s is not this organisation's %(network)s account.")
            % {"handle": account.handle, "network": network_name(network)}
        )


def find_account(org: Organisation, network: str, handle: str) -> ConnectedAccount:
    """A connected account by its handle (with or without @, case-insensitive)."""
    wanted = handle.strip().lstrip("@")
    account = ConnectedAccount.objects.filter(
        organisation=org, network=network, handle__iexact=wanted
    ).first()
    if account is None:
        raise MigrationError(
            _(
                "No connected %(network)s account %(handle)s: connect it first "
                "(envol accounts connect, or the Accounts page)."
            )
            % {"network": network_name(network), "handle": wanted}
        )
    return account


def jobs_in_progress(org: Organisation) -> list[MigrationJob]:
    """The organisation's follow migrations not finished yet (the dashboard)."""
    from envol.migration.models import ACTIVE_STATES

    return list(
        MigrationJob.objects.filter(organisation=org, state__in=ACTIVE_STATES)
        .select_related("account")
        .order_by("created_at")
    )


def has_finished_job(org: Organisation) -> bool:
    return MigrationJob.objects.filter(organisation=org, state=JobState.DONE).exists()


# --- dry run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRun:
    selected: int
    to_follow: int
    already: int
    unresolved: int
    seconds: float  # at the network's published limits
    pending_review: int = 0
    rejected: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "selected": self.selected,
            "to_follow": self.to_follow,
            "already": self.already,
            "unresolved": self.unresolved,
            "pending_review": self.pending_review,
            "rejected": self.rejected,
            "seconds": self.seconds,
        }


def dry_run(org: Organisation, import_id: int, account: ConnectedAccount, network: str) -> DryRun:
    """What a migration would do, reading the own follows (nothing is written anywhere)."""
    _check_account(org, account, network)
    chosen = selection(org, import_id, network)
    adapter = _connect(account)
    followed: set[str] = set()
    for follow in adapter.list_follows():
        followed.add(follow.subject if network == "bluesky" else follow.handle.lower())
    already = sum(1 for t in chosen.targets if t.target in followed)
    to_follow = len(chosen.targets) - already
    pace = BLUESKY_PACE if network == "bluesky" else MASTODON_PACE
    return DryRun(
        len(chosen.targets),
        to_follow,
        already,
        chosen.unresolved,
        seconds_to_follow(to_follow, pace),
        chosen.pending_review,
        chosen.rejected,
    )


# --- jobs -------------------------------------------------------------------------------------


@transaction.atomic
def create_job(
    org: Organisation,
    import_id: int,
    account: ConnectedAccount,
    network: str,
    *,
    actor: Any = None,
    options: dict[str, Any] | None = None,
) -> MigrationJob:
    """A pending job with one item per selected account, due at once: the workers take it."""
    _check_account(org, account, network)
    chosen = selection(org, import_id, network)
    if not chosen.targets:
        raise MigrationError(
            _("No accepted match on %(network)s for this import: review the matches first.")
            % {"network": network_name(network)}
        )
    job = MigrationJob.objects.create(
        organisation=org,
        archive_import_id=import_id,
        account=account,
        network=network,
        options=options or {},
        created_by=actor if getattr(actor, "pk", None) else None,
        total=len(chosen.targets),
        count_pending=len(chosen.targets),
    )
    MigrationItem.objects.bulk_create(
        [
            MigrationItem(
                job=job,
                relation_id=t.relation_id,
                x_id=t.x_id,
                target=t.target,
                handle=t.handle,
                subject=t.target if network == "bluesky" else "",
            )
            for t in chosen.targets
        ],
        batch_size=500,
    )
    audit(
        "migration.create",
        organisation=org,
        actor=actor,
        obj=job,
        network=network,
        items=job.total,
        unresolved=chosen.unresolved,
    )
    return job


def start(job: MigrationJob) -> MigrationJob:
    """Hand the job to the workers: a new job is due at once, so this only says so."""
    return job


def pause(job: MigrationJob, actor: Any = None) -> MigrationJob:
    """Stop after the batch in flight (its answer is kept; nothing more is sent)."""
    _change(job, JobState.PAUSED, actor)
    return job


def resume(job: MigrationJob, actor: Any = None) -> MigrationJob:
    """Paused (or failed, after reconnecting the account) → pending, and back to the workers."""
    _change(job, JobState.PENDING, actor)
    return job


def cancel(job: MigrationJob, actor: Any = None) -> MigrationJob:
    _change(job, JobState.CANCELLED, actor)
    return job


def _change(job: MigrationJob, wanted: str, actor: Any) -> None:
    change_state(
        job, wanted, actor=actor, error_class=MigrationError, refused=CANNOT_CHANGE, busy=CHANGING
    )


def on_transition(job: MigrationJob, previous: str, actor: Any, detail: Mapping[str, Any]) -> None:
    """Every move is audited; the leaving checklist's "follows migrated" step follows the job."""
    audit(
        f"migration.{job.state}",
        organisation=job.organisation,
        actor=actor,
        obj=job,
        previous=previous,
        **detail,
    )
    if job.state == JobState.DONE:
        from envol.leaving.services import tick

        tick(job.organisation, "follows_migrated", True, job.created_by)


# --- one step (the job engine calls it: migration/jobs.py) ------------------------------------


def _connect(account: ConnectedAccount, clock: Callable[[], datetime] = timezone.now) -> Network:
    try:
        return network_for(account, clock=clock)
    except AccountError:
        raise
    except NetworkError as exc:
        raise AccountError(explain(exc)) from exc


def budgets_for(job: MigrationJob, clock: Callable[[], datetime]) -> AccountBudgets:
    """The account's shared budget, as this job sees it: with the option `published_limits:
    false` (a self-hosted server with its limits off) only the limits the server announces in
    its headers apply, never the network's published ones, also when replayed from storage."""
    return AccountBudgets(
        job.account_id,
        driver_class(job).policies,
        clock=clock,
        published=job.options.get("published_limits") is not False,
    )


def follow_step(job: MigrationJob, step: Step) -> Outcome:
    """One bounded step: at most the driver's `batches_per_step` batches. Pending and
    waiting jobs first move to running; a spent budget or a 429 parks the job in
    `waiting_rate_limit` until the window resets (never failing an item); network errors are
    retried with backoff, then fail the job."""
    if job.state != JobState.RUNNING:
        return to(JobState.RUNNING)
    driver: Driver | None = None
    try:
        adapter = step.context.get("network") or _connect(job.account, step.clock)
        step.context["network"] = adapter
        driver = driver_for(job, adapter, budgets_for(job, step.clock))
        return _work(job, driver)
    except RateLimited as limited:
        resume_at = max(limited.reset_at, step.clock() + timedelta(seconds=1))
        return to(JobState.WAITING, at=resume_at, reason="429")
    except (AccountError, AuthError) as exc:
        step.context.pop("network", None)
        error = str(exc) if isinstance(exc, AccountError) else explain(exc)
        return to(JobState.FAILED, fields={"last_error": error}, reason="account")
    except NetworkError as exc:
        return retry(str(exc))
    finally:
        _save_progress(job, driver)


def _work(job: MigrationJob, driver: Driver) -> Outcome:
    if not job.existing_listed:
        driver.mark_existing()
        job.existing_listed = True
        MigrationJob.objects.filter(pk=job.pk).update(existing_listed=True)
    driver.reconcile_sent()
    if not _anything_open(job):
        return to(JobState.DONE)
    if not driver.still_running():
        return again()  # paused or cancelled meanwhile: send nothing more (the pause wins)
    batch = driver.plan()
    if batch.size == 0:
        return to(JobState.WAITING, at=batch.not_before, reason="budget")
    if driver.send(batch.size) and not _anything_open(job):
        return to(JobState.DONE)  # the last batch answered: done now, not one step (claim) later
    return again()  # False from `send`: another job of the account took the points; replan


def _anything_open(job: MigrationJob) -> bool:
    """Items still to send or to settle: the job is done when there are none."""
    return job.items.filter(state__in=OPEN_ITEM_STATES).exists()


def _save_progress(job: MigrationJob, driver: Driver | None) -> None:
    """Counters and what the server said of the budget (never the state: the engine owns it)."""
    counts = dict(job.items.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    MigrationJob.objects.filter(pk=job.pk).update(
        count_done=counts.get(ItemState.DONE, 0),
        count_already=counts.get(ItemState.ALREADY, 0),
        count_skipped=counts.get(ItemState.SKIPPED, 0),
        count_failed=counts.get(ItemState.FAILED, 0),
        count_pending=counts.get(ItemState.PENDING, 0) + counts.get(ItemState.SENT, 0),
    )
    if driver is not None:
        driver.learn_limits()


# --- reading ----------------------------------------------------------------------------------


def status(job: MigrationJob) -> dict[str, Any]:
    """What `envol migrate status --json` prints, exactly."""
    return {"state": job.state, **job.counts()}


def eta_seconds(job: MigrationJob) -> float:
    pace = BLUESKY_PACE if job.network == "bluesky" else MASTODON_PACE
    return seconds_to_follow(job.count_pending, pace)


REPORT_HEADER = ["x_id", "target", "handle", "state", "reason", "error", "remote_uri", "attempts"]


def report_csv(job: MigrationJob) -> str:
    """Who was followed, who was already, who was skipped or failed and why."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_HEADER)
    for item in job.items.order_by("id").iterator(chunk_size=1000):
        writer.writerow(
            [
                item.x_id,
                item.target,
                item.handle,
                item.state,
                item.reason,
                safe_cell(item.last_error),
                item.remote_uri,
                item.attempts,
            ]
        )
    return out.getvalue()
