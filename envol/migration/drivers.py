"""What differs between networks in one step of a migration: reading the own follows,
reconciling items left `sent` by a crash, sizing a batch from the account's rate budget, sending it.

The budget is the account's (`jobs.budgets.AccountBudgets`), shared with its other jobs: a batch's
points are reserved before the call and the reservation is settled once the call went out.

Bluesky: the record key (a TID) is stored on the item and committed before `applyWrites`; after a
crash only the items left `sent` are looked up, by their keys (`applyWrites` is one commit: the
batch landed whole or not at all), a `sent` item is `done` when its record exists, else sent again
with the same key — never a second record — and the reservation of a batch that never landed is
given back. Mastodon: following is idempotent and the adapter reads relationships before following,
so a `sent` item is simply sent again; an account already followed at that point was followed by
the earlier attempt (`done`), not before the job (`already`).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import wait
from functools import partial
from itertools import groupby
from operator import attrgetter
from typing import cast

from django.db import transaction

from envol.bulk import update_rows
from envol.jobs.batches import Batch, landed, ready_at
from envol.jobs.budgets import AccountBudgets, reservation_key
from envol.jobs.overlap import in_background
from envol.jobs.runner import others_due
from envol.migration.models import ItemState, MigrationItem, MigrationJob
from envol.migration.planning import batch_size
from envol.networks.base import (
    FollowRequest,
    FollowResult,
    FollowStatus,
    Network,
    NotFound,
    OwnFollow,
    RateLimited,
)
from envol.networks.bluesky import MAX_WRITES_PER_CALL, BlueskyNetwork, new_tid
from envol.networks.mastodon import RELATIONSHIPS_PER_CALL
from envol.networks.ratelimit import (
    BLUESKY_WRITE_COSTS,
    BLUESKY_WRITE_POLICIES,
    MASTODON_POLICIES,
    WindowPolicy,
)

ITEM_FIELDS = [
    "state",
    "subject",
    "record_key",
    "remote_uri",
    "attempts",
    "batch",
    "reason",
    "last_error",
]
# What a batch's beginning and its answer change: only these columns are written on the hot path
# (fewer values prepared, fewer index entries touched), once per call each.
BEGUN_FIELDS = ["state", "record_key", "attempts", "batch"]
ANSWERED_FIELDS = ["state", "remote_uri", "reason", "last_error"]
RESOLVE_REQUESTS = 2  # Mastodon: an address is looked up, then searched when unknown


def save_items(items: Sequence[MigrationItem], fields: Sequence[str] = ITEM_FIELDS) -> None:
    """Commit item changes at once (before a network call, this is the exactly-once point)."""
    update_rows(MigrationItem, fields, items)


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Driver(abc.ABC):
    policies: Mapping[str, Sequence[WindowPolicy]]  # action → the network's published limits

    def __init__(self, job: MigrationJob, network: Network, budgets: AccountBudgets) -> None:
        self.job = job
        self.network = network
        self.budgets = budgets
        self.key = reservation_key(job)

    @property
    def rate_actions(self) -> tuple[str, ...]:
        return tuple(self.policies)

    def learn_limits(self) -> None:
        """What the server's headers said this step, into the account's shared budget."""
        for action in self.rate_actions:
            self.budgets.learn(action, self.network.rate_budget(action))

    # -- the own follows --

    @abc.abstractmethod
    def follow_keys(self, follow: OwnFollow) -> tuple[str, ...]:
        """The item targets an existing follow stands for."""

    def mark_existing(self) -> int:
        """Items the account follows already, before anything is sent: `already`."""
        existing: dict[str, OwnFollow] = {}
        for follow in self.network.list_follows():
            for key in self.follow_keys(follow):
                existing.setdefault(key, follow)
        marked: list[MigrationItem] = []
        targets = list(existing)
        for chunk in _chunks(targets):
            for item in self.job.items.filter(state=ItemState.PENDING, target__in=chunk):
                follow = existing[item.target]
                item.move_to(ItemState.ALREADY)
                item.subject = item.subject or follow.subject
                item.remote_uri = follow.uri
                marked.append(item)
        save_items(marked)
        return len(marked)

    @abc.abstractmethod
    def reconcile_sent(self) -> None:
        """Settle items a crash left `sent`, before anything is sent again."""

    # -- batches --

    @abc.abstractmethod
    def plan(self) -> Batch: ...

    @abc.abstractmethod
    def send(self, size: int) -> bool:
        """Send up to `size` pending items, their points reserved first (False: another job
        of the account took them; nothing sent). A 429 records what was done, then propagates."""

    def still_running(self) -> bool:
        """False once a person paused or cancelled the job: nothing more is sent."""
        return MigrationJob.objects.filter(pk=self.job.pk, state=self.job.state).exists()

    # -- following, batch after batch --

    batches_per_step = 1  # more overlap their bookkeeping with the calls (`_follow`)

    @property
    @abc.abstractmethod
    def wanted(self) -> int:
        """The items of a full batch (the job's `batch_size` option, within the network's)."""

    @abc.abstractmethod
    def _points(self, items: Sequence[MigrationItem]) -> dict[str, int]:
        """action → the points a follow call of these items spends."""

    @abc.abstractmethod
    def _request(self, item: MigrationItem) -> FollowRequest: ...

    def _mark_sent(self, item: MigrationItem) -> None:
        item.move_to(ItemState.SENT)
        item.attempts += 1

    def _batch_key(self, items: Sequence[MigrationItem]) -> str:
        return reservation_key(self.job, items[0].batch if items else 0)

    def _follow(self, size: int) -> bool:
        """Up to `batches_per_step` follow calls in a row (one while another job of the
        account is due), the first of up to `size` items.

        A batch is begun in one transaction committed before its call: its points reserved,
        its items marked `sent` with their keys and its number, the job's call counted — a
        crash from there on is reconciled, batch by batch. While a call is out, the previous
        call's answer is saved and the next batch begun (sized by the budget as it then
        stands; none once the job was paused or cancelled), so that the calls follow one
        another with no bookkeeping between them. A call that fails takes the batch begun
        meanwhile back; a 429 first saves what the call did."""
        batches = self.batches_per_step
        if batches > 1 and others_due(self.job, self.budgets.clock()):
            batches = 1  # another job of the account waits for its turn
        current: Sequence[MigrationItem] = self._pending(size)
        with transaction.atomic():
            if not self._begin(current):
                return False  # another job of the account took these points first
        answered: tuple[Sequence[MigrationItem], Sequence[FollowResult]] | None = None
        for number in range(1, batches + 1):
            answer = in_background(partial(self._call, current))
            try:
                upcoming = self._meanwhile(answered, more=number < batches)
            finally:
                wait([answer])  # also when the bookkeeping failed: no call outlives the step
            answered = None
            try:
                results = answer.result()
            except RateLimited as limited:
                with transaction.atomic():
                    self._end(current, limited.completed)
                    self._take_back(upcoming)
                raise
            except BaseException:
                with transaction.atomic():
                    self._take_back(upcoming)  # `current` stays `sent`: reconciled
                raise
            answered = (current, results)
            if not upcoming:
                break
            current = upcoming
        if answered is not None:
            with transaction.atomic():
                self._end(*answered)
        return True

    def _meanwhile(
        self,
        answered: tuple[Sequence[MigrationItem], Sequence[FollowResult]] | None,
        *,
        more: bool,
    ) -> Sequence[MigrationItem]:
        """While a call is out, in one transaction: the previous answer saved, the next batch
        begun (returned; empty when there is none)."""
        with transaction.atomic():
            if answered is not None:
                self._end(*answered)
            if not more or not self.still_running():
                return ()
            upcoming = self._pending(self.plan().size)
            return upcoming if self._begin(upcoming) else ()

    def _pending(self, size: int) -> list[MigrationItem]:
        if size <= 0:
            return []
        return list(self.job.items.filter(state=ItemState.PENDING).order_by("id")[:size])

    def _count_calls(self, change: int) -> None:
        """The job's calls: one counted before it is made, taken back if it never was."""
        self.job.calls += change
        MigrationJob.objects.filter(pk=self.job.pk).update(calls=self.job.calls)

    def _begin(self, items: Sequence[MigrationItem]) -> bool:
        if not items:
            return False
        number = self.job.calls + 1
        if not self.budgets.reserve(reservation_key(self.job, number), self._points(items)):
            return False
        self._count_calls(+1)
        for item in items:
            self._mark_sent(item)
            item.batch = number
        save_items(items, BEGUN_FIELDS)  # committed BEFORE the call
        return True

    def _call(self, items: Sequence[MigrationItem]) -> list[FollowResult]:
        """In the call's thread: the network only, never the database."""
        return self.network.follow_many([self._request(item) for item in items])

    def _end(self, items: Sequence[MigrationItem], results: Sequence[FollowResult]) -> None:
        """The call went out (a refused one still counts): its points stay spent; what it
        answered is saved, items without an answer stay `sent` to be reconciled."""
        self.budgets.settle(self._batch_key(items))
        for item, result in zip(items, results, strict=False):
            apply_result(item, result)
        save_items(items[: len(results)], ANSWERED_FIELDS)

    def _take_back(self, items: Sequence[MigrationItem]) -> None:
        """A batch begun but never sent: pending again (its keys kept), its points given back."""
        if not items:
            return
        for item in items:
            item.move_to(ItemState.PENDING)
            item.attempts -= 1
        save_items(items, ["state", "attempts"])
        self.budgets.release(self._batch_key(items))
        self._count_calls(-1)  # counted when begun: it was the last one


def apply_result(item: MigrationItem, result: FollowResult) -> None:
    """One network answer → the item's final state (or back to pending for a retry)."""
    status = result.status
    if status == FollowStatus.FOLLOWED:
        item.move_to(ItemState.DONE)
        item.remote_uri = result.uri or item.remote_uri
    elif status == FollowStatus.ALREADY:
        # Sent before by this job (a crash hid the answer): ours. Else: followed before the job.
        item.move_to(ItemState.DONE if item.attempts > 1 else ItemState.ALREADY)
    elif status == FollowStatus.REQUESTED:
        item.move_to(ItemState.DONE)
        item.reason = "requested"
    elif status in (FollowStatus.NOT_FOUND, FollowStatus.BLOCKED):
        item.move_to(ItemState.SKIPPED)
        item.reason = status.value
        item.last_error = result.error
    elif result.error == "not a DID":
        item.move_to(ItemState.SKIPPED)
        item.reason = "invalid"
        item.last_error = result.error
    else:
        item.move_to(ItemState.FAILED)
        item.reason = "refused"
        item.last_error = result.error[:2000]


class BlueskyDriver(Driver):
    policies = {"write": BLUESKY_WRITE_POLICIES}
    cost = BLUESKY_WRITE_COSTS["create"]

    def follow_keys(self, follow: OwnFollow) -> tuple[str, ...]:
        return (follow.subject,)

    def reconcile_sent(self) -> None:
        """Items a crash left `sent` are looked up by their keys, batch by batch (a call
        landed whole or not at all), not by reading the whole follow list again; the points of
        a batch that never landed go back to the budget."""
        sent = list(self.job.items.filter(state=ItemState.SENT).order_by("batch", "id"))
        if not sent:
            self.budgets.release(self.key)  # reserved, then killed before any key was stored
            return
        network = cast(BlueskyNetwork, self.network)
        for _number, batch in groupby(sent, key=attrgetter("batch")):
            items = list(batch)
            landing = landed([item.record_key for item in items], network.get_follow)
            missing = 0
            for item in items:
                if item.record_key not in landing.landed:
                    item.move_to(ItemState.PENDING)  # never written: sent again, same key
                    missing += 1
                else:
                    found = landing.found.get(item.record_key)
                    item.move_to(ItemState.DONE)
                    item.remote_uri = found.uri if found is not None else _follow_uri(network, item)
            self.budgets.release(self._batch_key(items), {"write": missing * self.cost})
        save_items(sent)

    # Several calls a step, overlapped with their bookkeeping: a call of 200 writes takes
    # 0.2–0.3 s on a PDS, the bookkeeping around it ~25 ms when done in turn (bench/migration.py).
    # A step costs its claim, lease and commit besides: 25 calls (5,000 follows, ~5 s) a step
    # took 0.25–0.35 s less per 5,000 follows than 5 (paired runs, session 14). The account's
    # other migration takes its turn after each call all the same (`runner.others_due`).
    batches_per_step = 25

    @property
    def wanted(self) -> int:
        return max(min(int(self.job.options.get("batch_size", MAX_WRITES_PER_CALL)), 200), 1)

    def plan(self) -> Batch:
        plan = self.budgets.view("write").plan(self.cost, self.wanted)
        return Batch(plan.items, plan.not_before)

    def send(self, size: int) -> bool:
        return self._follow(size)

    def _points(self, items: Sequence[MigrationItem]) -> dict[str, int]:
        return {"write": len(items) * self.cost}

    def _mark_sent(self, item: MigrationItem) -> None:
        item.record_key = item.record_key or new_tid()  # kept on a retry: never two records
        super()._mark_sent(item)

    def _request(self, item: MigrationItem) -> FollowRequest:
        return FollowRequest(item.subject, item.record_key)


def _follow_uri(network: BlueskyNetwork, item: MigrationItem) -> str:
    return f"at://{network.did}/app.bsky.graph.follow/{item.record_key}"


class MastodonDriver(Driver):
    policies = MASTODON_POLICIES

    def follow_keys(self, follow: OwnFollow) -> tuple[str, ...]:
        return (follow.handle.lower(),) if follow.handle else ()

    def reconcile_sent(self) -> None:
        sent = list(self.job.items.filter(state=ItemState.SENT).order_by("batch"))
        for item in sent:
            item.move_to(ItemState.PENDING)  # relationships are read before any follow
        save_items(sent)
        # Mastodon counts the follows it created, and whether they were is known only once the
        # relationships are read again: the points stay spent (over-counting is the safe side).
        self.budgets.settle(self.key)
        for _number, batch in groupby(sent, key=attrgetter("batch")):
            self.budgets.settle(self._batch_key(list(batch)))

    @property
    def wanted(self) -> int:
        return max(min(int(self.job.options.get("batch_size", RELATIONSHIPS_PER_CALL)), 40), 1)

    def _unresolved(self) -> bool:
        return self.job.items.filter(state=ItemState.PENDING, subject="").exists()

    def plan(self) -> Batch:
        """A step either resolves addresses (up to 2 requests each) or follows resolved
        accounts (1 request each, plus 1 for their relationships, and 1 follow point)."""
        requests = self.budgets.view("request")
        follows = self.budgets.view("follow")
        wanted = self.wanted
        if self._unresolved():
            size = min(wanted, requests.available() // RESOLVE_REQUESTS)
            return Batch(size, ready_at(requests, RESOLVE_REQUESTS))
        size = batch_size([(requests.available(), 1, 1), (follows.available(), 1, 0)], wanted)
        return Batch(size, max(ready_at(requests, 2), ready_at(follows, 1)))

    def send(self, size: int) -> bool:
        if self._unresolved():
            return self._resolve(size)
        return self._follow(size)

    def _resolve(self, size: int) -> bool:
        items = list(
            self.job.items.filter(state=ItemState.PENDING, subject="").order_by("id")[:size]
        )
        if not self.budgets.reserve(self.key, {"request": len(items) * RESOLVE_REQUESTS}):
            return False
        self._count_calls(+1)
        self.budgets.settle(self.key)  # resolving is reading: nothing to reconcile
        try:
            for item in items:
                try:
                    item.subject = self.network.resolve(item.target).remote_id
                except NotFound as exc:
                    item.move_to(ItemState.SKIPPED)
                    item.reason = "not_found"
                    item.last_error = str(exc)[:2000]
        finally:
            save_items(items)  # what was resolved is kept, even when a 429 cuts the loop short
        return True

    def _points(self, items: Sequence[MigrationItem]) -> dict[str, int]:
        return {"request": len(items) + 1, "follow": len(items)}  # +1: the relationships

    def _request(self, item: MigrationItem) -> FollowRequest:
        return FollowRequest(item.subject)


def driver_class(job: MigrationJob) -> type[Driver]:
    return BlueskyDriver if job.network == "bluesky" else MastodonDriver


def driver_for(job: MigrationJob, network: Network, budgets: AccountBudgets) -> Driver:
    return driver_class(job)(job, network, budgets)
