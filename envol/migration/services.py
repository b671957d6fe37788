"""Follow migration: create a job from accepted matches, advance it one bounded step at a time,
pause, resume, cancel, report. Called alike by the CLI, the web pages and the task.

`advance(job_id)` is the heart: it claims the job (leases.py), then, for the job's network
(drivers.py): reads the own follows once (`already`), settles items a crash left `sent`, sizes a
batch from the stored rate budget, commits the record keys and sends. When the budget is spent the
job parks in `waiting_rate_limit` until the window resets; a 429 parks it the same way and never
fails an item. Nothing is waited for inside a step: the task re-enqueues itself for `resume_at`.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from envol.migration import leases
from envol.migration.drivers import Driver, driver_for
from envol.migration.models import (
    ACTIVE_STATES,
    ItemState,
    JobState,
    MigrationItem,
    MigrationJob,
)
from envol.migration.planning import BLUESKY_PACE, MASTODON_PACE, seconds_to_follow
from envol.networks.base import AuthError, Network, NetworkError, RateLimited
from envol.networks.ratelimit import RESET_MARGIN_S, RateObservation
from envol.orgs.accounts import AccountError, explain, network_for
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.models import Network as NetworkName
from envol.orgs.services import OrgError, audit
from envol.portability.models import ArchiveImport, Relation

NETWORKS = ("bluesky", "mastodon")
MAX_CONSECUTIVE_ERRORS = 8
MAX_BACKOFF = timedelta(minutes=10)
BUSY_RETRY = timedelta(seconds=5)


class MigrationError(OrgError):
    """A migration cannot be created or changed as asked; the message says why and what to do."""


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
    unresolved: int  # accounts followed on X with no accepted match on this network


def selection(org: Organisation, import_id: int, network: str) -> Selection:
    """The accepted matches of one import on one network, one target per remote account."""
    from envol.crosswalk.services import accepted_matches

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
    return Selection(list(seen.values()), max(following - matched_relations, 0))


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


# --- dry run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRun:
    selected: int
    to_follow: int
    already: int
    unresolved: int
    seconds: float  # at the network's published limits

    def as_json(self) -> dict[str, Any]:
        return {
            "selected": self.selected,
            "to_follow": self.to_follow,
            "already": self.already,
            "unresolved": self.unresolved,
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
    """A pending job with one item per selected account (the task is enqueued by `start`)."""
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
    """Hand the job to the workers."""
    enqueue(job.pk)
    return job


def enqueue(job_id: int, run_after: datetime | None = None) -> str:
    """Start a new task chain for the job; older chains notice and stop (one live chain)."""
    from envol.migration.tasks import advance_job

    task = advance_job.using(run_after=run_after) if run_after else advance_job
    result = task.enqueue(job_id)
    MigrationJob.objects.filter(pk=job_id).update(task_id=str(result.id))
    return str(result.id)


def is_current_task(job_id: int, task_id: str) -> bool:
    current = MigrationJob.objects.filter(pk=job_id).values_list("task_id", flat=True).first()
    return current == task_id


def recover_stalled(org: Organisation | None = None) -> int:
    """Re-enqueue active jobs whose task chain died with its worker (SIGKILL, power loss): the
    chain's task is not queued and no live process holds the job (a live chain holds it from
    its claim to the enqueue of its next task). Called by the status page and `envol migrate`."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    jobs = MigrationJob.objects.filter(state__in=ACTIVE_STATES)
    if org is not None:
        jobs = jobs.filter(organisation=org)
    restarted = 0
    for job in jobs:
        if not leases.is_free(job):
            continue
        status = (
            DBTaskResult.objects.filter(id=job.task_id).values_list("status", flat=True).first()
            if job.task_id
            else None
        )
        if status == TaskResultStatus.READY:
            continue  # a chain is queued (perhaps for the end of a rate-limit window)
        enqueue(job.pk, job.resume_at if job.state == JobState.WAITING else None)
        restarted += 1
    return restarted


def _set_state(job: MigrationJob, wanted: str, actor: Any = None, **detail: Any) -> bool:
    """Move the job's state in the database, only from the state it is known to be in (a
    pause pressed during a step wins over the step's own move)."""
    loaded = job.state
    job.move_to(wanted)
    changed = MigrationJob.objects.filter(pk=job.pk, state=loaded).update(
        state=wanted,
        resume_at=job.resume_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
    if not changed:
        job.refresh_from_db()
        return False
    if loaded != wanted:
        audit(
            f"migration.{wanted}",
            organisation=job.organisation,
            actor=actor,
            obj=job,
            previous=loaded,
            **detail,
        )
    return True


def pause(job: MigrationJob, actor: Any = None) -> MigrationJob:
    _change(job, JobState.PAUSED, actor)
    return job


def resume(job: MigrationJob, actor: Any = None) -> MigrationJob:
    """Paused (or failed, after reconnecting the account) → pending, and back to the workers."""
    job.resume_at = None
    job.consecutive_errors = 0
    _change(job, JobState.PENDING, actor)
    MigrationJob.objects.filter(pk=job.pk).update(consecutive_errors=0)
    enqueue(job.pk)
    return job


def cancel(job: MigrationJob, actor: Any = None) -> MigrationJob:
    job.finished_at = timezone.now()
    _change(job, JobState.CANCELLED, actor)
    return job


def _change(job: MigrationJob, wanted: str, actor: Any) -> None:
    for _attempt in range(3):  # the state may move under us between a read and the update
        if not job.can_move_to(wanted):
            raise MigrationError(
                _("This migration is %(state)s: it cannot be changed that way.")
                % {"state": job.get_state_display()}
            )
        if _set_state(job, wanted, actor):
            return
    raise MigrationError(_("The migration is changing right now: try again."))


# --- one step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What `advance` did; `resume_at` is when to call it again (None: at once, if active)."""

    job_id: int
    state: str
    busy: bool = False  # another process holds the job
    resume_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


def _connect(account: ConnectedAccount) -> Network:
    try:
        return network_for(account)
    except AccountError:
        raise
    except NetworkError as exc:
        raise AccountError(explain(exc)) from exc


UNLIMITED = 1 << 40


def restore_budgets(job: MigrationJob, network: Network, now: datetime) -> None:
    """Give a fresh adapter the budget the job stored: each still-open window is replayed as
    an observation (windows that reset before `now` are left out: they are spent no more).

    With the option `published_limits: false` (a self-hosted server with its limits off) the
    published windows are lifted, so that only the limits the server announces apply."""
    margin = timedelta(seconds=RESET_MARGIN_S)
    if job.options.get("published_limits") is False:
        for action in driver_for(job, network).rate_actions:
            budget = network.rate_budget(action)
            for policy in budget.policies():
                budget.observe(
                    RateObservation(
                        limit=UNLIMITED,
                        remaining=UNLIMITED,
                        reset_at=now + timedelta(seconds=policy.window_s),
                        window_s=policy.window_s,
                    )
                )
    for action, windows in (job.rate_state or {}).items():
        budget = network.rate_budget(action)
        for window in windows:
            if not window.get("resets_at"):
                continue
            resets_at = datetime.fromisoformat(window["resets_at"])
            if resets_at <= now:
                continue
            budget.observe(
                RateObservation(
                    limit=int(window["limit"]),
                    remaining=max(int(window["limit"]) - int(window["used"]), 0),
                    reset_at=resets_at - margin,
                    window_s=int(window["window_s"]),
                )
            )


def advance_chain(job_id: int, task_id: str) -> Step:
    """One step for the task chain `task_id`, then the chain's next task — with the job held
    from claim to enqueue, so a free job with a chain task not queued means a dead chain."""
    if not is_current_task(job_id, task_id):
        return Step(job_id, "superseded")
    if not leases.claim(job_id):
        enqueue(job_id, timezone.now() + BUSY_RETRY)
        return Step(job_id, JobState.RUNNING, busy=True)
    try:
        job = MigrationJob.objects.select_related("organisation", "account").get(pk=job_id)
        step = _advance_claimed(job, timezone.now(), None)
        if step.active:
            enqueue(job_id, step.resume_at)
        return step
    finally:
        leases.release(job_id)


def advance(job_id: int, *, now: datetime | None = None, network: Network | None = None) -> Step:
    """One bounded step of the job (at most one batch). Safe to call from any number of
    processes at once, and to kill at any instant. `now` overrides the clock for the resume
    and budget decisions (tests, dry simulations); `network` reuses an adapter across steps."""
    if not leases.claim(job_id):
        state = MigrationJob.objects.filter(pk=job_id).values_list("state", flat=True).first()
        return Step(job_id, state or JobState.FAILED, busy=True)
    try:
        job = MigrationJob.objects.select_related("organisation", "account").get(pk=job_id)
        return _advance_claimed(job, now or timezone.now(), network)
    finally:
        leases.release(job_id)


def _advance_claimed(job: MigrationJob, now: datetime, network: Network | None) -> Step:
    if not job.is_active:
        return Step(job.pk, job.state)
    if job.resume_at and now < job.resume_at:
        return Step(job.pk, job.state, resume_at=job.resume_at)
    if job.state != JobState.RUNNING:
        job.started_at = job.started_at or timezone.now()
        job.resume_at = None
        if not _set_state(job, JobState.RUNNING):
            return Step(job.pk, job.state)
    fresh = network is None
    driver: Driver | None = None
    try:
        adapter = network if network is not None else _connect(job.account)
        if fresh:
            restore_budgets(job, adapter, now)
        driver = driver_for(job, adapter)
        _work(job, driver)
        job.consecutive_errors = 0
        job.last_error = ""
    except RateLimited as limited:
        job.resume_at = max(limited.reset_at, now + timedelta(seconds=1))
        _set_state(job, JobState.WAITING, reason="429")
    except (AccountError, AuthError) as exc:
        job.last_error = str(exc) if isinstance(exc, AccountError) else explain(exc)
        job.finished_at = timezone.now()
        _set_state(job, JobState.FAILED, reason="account")
    except NetworkError as exc:
        job.consecutive_errors += 1
        job.last_error = str(exc)[:2000]
        if job.consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
            job.finished_at = timezone.now()
            _set_state(job, JobState.FAILED, reason="errors")
        else:
            backoff = min(timedelta(seconds=5 * 2**job.consecutive_errors), MAX_BACKOFF)
            job.resume_at = now + backoff
            MigrationJob.objects.filter(pk=job.pk).update(resume_at=job.resume_at)
    finally:
        _save_progress(job, driver)
    return Step(job.pk, job.state, resume_at=job.resume_at)


def _work(job: MigrationJob, driver: Driver) -> None:
    if not job.existing_listed:
        driver.mark_existing()
        job.existing_listed = True
        MigrationJob.objects.filter(pk=job.pk).update(existing_listed=True)
    driver.reconcile_sent()
    if not job.items.filter(state__in=(ItemState.PENDING, ItemState.SENT)).exists():
        job.finished_at = timezone.now()
        if _set_state(job, JobState.DONE):
            _tick_leaving_checklist(job)
        return
    if MigrationJob.objects.filter(pk=job.pk).values_list("state", flat=True)[0] != job.state:
        job.refresh_from_db()  # paused or cancelled meanwhile: send nothing more
        return
    batch = driver.plan()
    if batch.size == 0:
        job.resume_at = batch.not_before
        _set_state(job, JobState.WAITING, reason="budget")
        return
    job.calls += 1
    driver.send(batch.size)


def _save_progress(job: MigrationJob, driver: Driver | None) -> None:
    """Counters, stored budgets and errors (never the state: `_set_state` owns it)."""
    counts = dict(job.items.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    job.count_done = counts.get(ItemState.DONE, 0)
    job.count_already = counts.get(ItemState.ALREADY, 0)
    job.count_skipped = counts.get(ItemState.SKIPPED, 0)
    job.count_failed = counts.get(ItemState.FAILED, 0)
    job.count_pending = counts.get(ItemState.PENDING, 0) + counts.get(ItemState.SENT, 0)
    if driver is not None:
        job.rate_state = {
            action: driver.network.rate_budget(action).to_state() for action in driver.rate_actions
        }
    MigrationJob.objects.filter(pk=job.pk).update(
        count_done=job.count_done,
        count_already=job.count_already,
        count_skipped=job.count_skipped,
        count_failed=job.count_failed,
        count_pending=job.count_pending,
        rate_state=job.rate_state,
        calls=job.calls,
        consecutive_errors=job.consecutive_errors,
        last_error=job.last_error,
    )


def _tick_leaving_checklist(job: MigrationJob) -> None:
    """The leaving checklist's "follows migrated" step follows the job."""
    from envol.leaving.services import tick

    tick(job.organisation, "follows_migrated", True, job.created_by)


# --- running in-process (CLI --wait, benchmarks) ----------------------------------------------


Progress = Callable[[MigrationJob, Step], None]


def run_to_end(
    job_id: int,
    *,
    on_progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[MigrationJob, datetime], None] | None = None,
) -> MigrationJob:
    """Advance the job in this process until it is finished or paused, sleeping through rate
    limit windows (`on_wait` can show a countdown). One adapter serves every step."""
    job = MigrationJob.objects.select_related("account").get(pk=job_id)
    adapter = _connect(job.account)
    restore_budgets(job, adapter, timezone.now())
    while True:
        step = advance(job_id, network=adapter)
        job.refresh_from_db()
        if on_progress is not None:
            on_progress(job, step)
        if not step.active:
            return job
        if step.busy:
            sleep(1.0)
        elif step.resume_at is not None:
            if on_wait is not None:
                on_wait(job, step.resume_at)
            else:
                sleep(max((step.resume_at - timezone.now()).total_seconds(), 0.0))


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
                _csv_safe(item.last_error),
                item.remote_uri,
                item.attempts,
            ]
        )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: a server's words are data."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
