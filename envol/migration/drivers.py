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
from typing import cast

from envol.bulk import update_rows
from envol.jobs.batches import Batch, landed, ready_at
from envol.jobs.budgets import AccountBudgets, reservation_key
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

ITEM_FIELDS = ["state", "subject", "record_key", "remote_uri", "attempts", "reason", "last_error"]
RESOLVE_REQUESTS = 2  # Mastodon: an address is looked up, then searched when unknown


def save_items(items: Sequence[MigrationItem]) -> None:
    """Commit item changes at once (before a network call, this is the exactly-once point)."""
    update_rows(MigrationItem, ITEM_FIELDS, items)


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

    def _apply(self, items: Sequence[MigrationItem], results: Sequence[FollowResult]) -> None:
        for item, result in zip(items, results, strict=False):
            apply_result(item, result)
        save_items(items[: len(results)])


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
        """Items a crash left `sent` are looked up by their keys, not by reading the whole
        follow list again; the points of what never landed go back to the budget."""
        sent = list(self.job.items.filter(state=ItemState.SENT).order_by("id"))
        if not sent:
            self.budgets.release(self.key)  # reserved, then killed before any key was stored
            return
        network = cast(BlueskyNetwork, self.network)
        landing = landed([item.record_key for item in sent], network.get_follow)
        missing = 0
        for item in sent:
            if item.record_key not in landing.landed:
                item.move_to(ItemState.PENDING)  # never written: sent again with the same key
                missing += 1
            else:
                found = landing.found.get(item.record_key)
                item.move_to(ItemState.DONE)
                item.remote_uri = found.uri if found is not None else _follow_uri(network, item)
        save_items(sent)
        self.budgets.release(self.key, {"write": missing * self.cost})

    def plan(self) -> Batch:
        wanted = min(int(self.job.options.get("batch_size", MAX_WRITES_PER_CALL)), 200)
        plan = self.budgets.view("write").plan(self.cost, max(wanted, 1))
        return Batch(plan.items, plan.not_before)

    def send(self, size: int) -> bool:
        items = list(self.job.items.filter(state=ItemState.PENDING).order_by("id")[:size])
        if not self.budgets.reserve(self.key, {"write": len(items) * self.cost}):
            return False  # another job of the account took these points first
        for item in items:
            item.record_key = item.record_key or new_tid()
            item.move_to(ItemState.SENT)
            item.attempts += 1
        save_items(items)  # committed BEFORE the write: a crash from here on is reconciled
        requests = [FollowRequest(item.subject, item.record_key) for item in items]
        try:
            results = self.network.follow_many(requests)
        except RateLimited as limited:
            self.budgets.settle(self.key)  # a refused call still counts on the server
            self._apply(items, limited.completed)
            raise
        self.budgets.settle(self.key)
        self._apply(items, results)
        return True


def _follow_uri(network: BlueskyNetwork, item: MigrationItem) -> str:
    return f"at://{network.did}/app.bsky.graph.follow/{item.record_key}"


class MastodonDriver(Driver):
    policies = MASTODON_POLICIES

    def follow_keys(self, follow: OwnFollow) -> tuple[str, ...]:
        return (follow.handle.lower(),) if follow.handle else ()

    def reconcile_sent(self) -> None:
        sent = list(self.job.items.filter(state=ItemState.SENT))
        for item in sent:
            item.move_to(ItemState.PENDING)  # relationships are read before any follow
        save_items(sent)
        # Mastodon counts the follows it created, and whether they were is known only once the
        # relationships are read again: the points stay spent (over-counting is the safe side).
        self.budgets.settle(self.key)

    def _unresolved(self) -> bool:
        return self.job.items.filter(state=ItemState.PENDING, subject="").exists()

    def plan(self) -> Batch:
        """A step either resolves addresses (up to 2 requests each) or follows resolved
        accounts (1 request each, plus 1 for their relationships, and 1 follow point)."""
        requests = self.budgets.view("request")
        follows = self.budgets.view("follow")
        wanted = max(min(int(self.job.options.get("batch_size", RELATIONSHIPS_PER_CALL)), 40), 1)
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

    def _follow(self, size: int) -> bool:
        items = list(self.job.items.filter(state=ItemState.PENDING).order_by("id")[:size])
        if not self.budgets.reserve(self.key, {"request": len(items) + 1, "follow": len(items)}):
            return False
        for item in items:
            item.move_to(ItemState.SENT)
            item.attempts += 1
        save_items(items)
        try:
            results = self.network.follow_many([FollowRequest(item.subject) for item in items])
        except RateLimited as limited:
            self.budgets.settle(self.key)
            self._apply(items, limited.completed)
            raise
        self.budgets.settle(self.key)
        self._apply(items, results)
        return True


def driver_class(job: MigrationJob) -> type[Driver]:
    return BlueskyDriver if job.network == "bluesky" else MastodonDriver


def driver_for(job: MigrationJob, network: Network, budgets: AccountBudgets) -> Driver:
    return driver_class(job)(job, network, budgets)
