"""The rate budget of one connected account, shared by all its jobs and kept in the database.

Why in the database and not in each job: a follow migration and a history migration on the same
Bluesky account spend the same 5,000 points an hour; a budget per job would let two jobs spend
twice the allowance. Why reservations: points are counted before the call that spends them (a
process killed during the call leaves a budget that over-counts, never one that under-counts),
and a reservation outlives that process, so the step that resumes the job can give the points
back once it has proved the call never landed — instead of parking for an hour on points
nobody spent.

The arithmetic is `networks.ratelimit.RateBudget` (fixed windows opening on the first spend,
replaced by what the server's headers say), run on the engine's injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from envol.jobs.models import AccountBudget, BudgetReservation, Job
from envol.networks.ratelimit import RateBudget, WindowPolicy

Clock = Callable[[], datetime]
Windows = list[dict[str, Any]]
STALE_RESERVATION = timedelta(days=2)  # longer than any window: their points have rolled out


def reservation_key(job: Job, batch: int = 0) -> str:
    """The key of the reservation of a job's batch: numbered when a job may have more than one
    in flight (the follow migration numbers its batches from 1), the job's own key otherwise."""
    key = f"{job._meta.label_lower}:{job.pk}"
    return f"{key}:{batch}" if batch else key


def _reset(window: Mapping[str, Any]) -> datetime | None:
    value = window.get("resets_at")
    return datetime.fromisoformat(value) if value else None


class AccountBudgets:
    """The budgets of one account, one per action, each made of the `policies` the network
    publishes until the server's headers say otherwise.

    With `published=False` (a self-hosted server with its limits off) the published windows are
    ignored when deciding what fits — also those replayed from the stored state — so that only
    the limits the server announced in its headers apply. Every spend is still counted."""

    def __init__(
        self,
        account_id: int,
        policies: Mapping[str, Sequence[WindowPolicy]],
        *,
        clock: Clock,
        published: bool = True,
    ) -> None:
        self.account_id = account_id
        self.policies = policies
        self.clock = clock
        self.published = published

    # -- reading --

    def view(self, action: str) -> RateBudget:
        """The budget as it stands now, to plan a batch (`plan`, `available`, `ready_at`)."""
        row = AccountBudget.objects.filter(account_id=self.account_id, action=action).first()
        return self._deciding(row.windows if row else self._fresh(action))

    def reserved(self, key: str) -> dict[str, int]:
        """action → points of the open reservation `key` (empty when none)."""
        found = BudgetReservation.objects.filter(account_id=self.account_id, key=key).first()
        if found is None:
            return {}
        return {action: int(entry["points"]) for action, entry in found.points.items()}

    # -- changing (each in one transaction, the rows locked) --

    def reserve(self, key: str, points: Mapping[str, int]) -> bool:
        """Count `points` as spent now, under `key`, if they fit in every window that decides;
        False (nothing counted) when another job of the account took them first."""
        with transaction.atomic():
            rows = self._locked(points)
            for action, wanted in points.items():
                if wanted and self._deciding(rows[action].windows).available() < wanted:
                    return False
            entries: dict[str, Any] = {}
            for action, wanted in points.items():
                budget = RateBudget.from_state(rows[action].windows, clock=self.clock)
                budget.spend(wanted)
                rows[action].windows = budget.to_state()
                rows[action].save(update_fields=["windows", "updated_at"])
                entries[action] = {
                    "points": wanted,
                    "windows": {str(w["window_s"]): w["resets_at"] for w in rows[action].windows},
                }
            now = self.clock()
            BudgetReservation.objects.filter(
                account_id=self.account_id, created_at__lt=now - STALE_RESERVATION
            ).delete()
            BudgetReservation.objects.update_or_create(
                account_id=self.account_id,
                key=key,
                defaults={"points": entries, "created_at": now},
            )
        return True

    def settle(self, key: str) -> None:
        """The call went out: its points stay spent."""
        BudgetReservation.objects.filter(account_id=self.account_id, key=key).delete()

    def release(self, key: str, points: Mapping[str, int] | None = None) -> None:
        """Give back the reservation's points (all, or up to `points` per action) that nothing
        spent — to the windows that have not rolled over since — then close it."""
        with transaction.atomic():
            found = (
                BudgetReservation.objects.select_for_update()
                .filter(account_id=self.account_id, key=key)
                .first()
            )
            if found is None:
                return
            rows = self._locked(found.points)
            for action, entry in found.points.items():
                reserved = int(entry["points"])
                give = reserved if points is None else min(points.get(action, 0), reserved)
                windows = self._rolled(rows[action].windows)
                for window in windows:
                    then = entry["windows"].get(str(window["window_s"]))
                    now_reset, then_reset = _reset(window), _reset({"resets_at": then})
                    if now_reset is None or then_reset is None:
                        continue
                    if abs((now_reset - then_reset).total_seconds()) < window["window_s"] / 2:
                        window["used"] = max(int(window["used"]) - give, 0)
                rows[action].windows = windows
                rows[action].save(update_fields=["windows", "updated_at"])
            found.delete()

    def learn(self, action: str, observed: RateBudget) -> None:
        """Merge what a network adapter's headers told about the account's windows: the
        server's count wins where it is higher (other clients spend too), a later reset means
        a new window, the server's limit replaces the published one."""
        told = [w for w in observed.to_state() if w.get("observed")]
        if not told:
            return
        with transaction.atomic():
            row = self._locked([action])[action]
            windows = self._rolled(row.windows)
            for window in told:
                merge_window(windows, window)
            row.windows = windows
            row.save(update_fields=["windows", "updated_at"])

    # -- plumbing --

    def _fresh(self, action: str) -> Windows:
        return RateBudget(self.policies.get(action, ()), clock=self.clock).to_state()

    def _rolled(self, windows: Windows) -> Windows:
        """The windows with those that reset before now emptied."""
        budget = RateBudget.from_state(windows, clock=self.clock)
        budget.available()  # rolls
        return budget.to_state()

    def _deciding(self, windows: Windows) -> RateBudget:
        if not self.published:
            windows = [w for w in windows if w.get("observed")]
        return RateBudget.from_state(windows, clock=self.clock)

    def _locked(self, actions: Iterable[str]) -> dict[str, AccountBudget]:
        wanted = list(actions)
        mine = AccountBudget.objects.select_for_update().filter(account_id=self.account_id)
        rows = {row.action: row for row in mine.filter(action__in=wanted)}
        missing = [action for action in wanted if action not in rows]
        if missing:
            AccountBudget.objects.bulk_create(
                [
                    AccountBudget(
                        account_id=self.account_id, action=action, windows=self._fresh(action)
                    )
                    for action in missing
                ],
                ignore_conflicts=True,
            )
            rows = {row.action: row for row in mine.filter(action__in=wanted)}
        return rows


def merge_window(windows: Windows, told: Mapping[str, Any]) -> None:
    """Fold one server-described window into the stored ones (matched by period, else limit)."""
    match = next((w for w in windows if w["window_s"] == told["window_s"]), None)
    if match is None:
        match = next((w for w in windows if w["limit"] == told["limit"]), None)
    if match is None:
        windows.append(dict(told))
        return
    ours, theirs = _reset(match), _reset(told)
    half = timedelta(seconds=int(match["window_s"]) / 2)
    if ours is None or (theirs is not None and theirs > ours + half):
        match["used"] = int(told["used"])  # a window that opened after ours closed
    else:
        match["used"] = max(int(match["used"]), int(told["used"]))
    match["resets_at"] = told["resets_at"]
    match["limit"] = told["limit"]
    match["observed"] = True
