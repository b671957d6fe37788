"""The test server's memory: records, indexes, ids, counters; optionally saved to a JSON file.

Every handler runs in uvicorn's thread while tests call helpers from theirs, so every read-modify-
write holds ``store.lock``. Ids are Snowflake-like (milliseconds << 16, then a sequence) like
Mastodon's, so they sort by creation time and paginate the same way.

Mastodon keeps counter caches (account_stats, status_stats) that callbacks move on each create
and destroy; here the same numbers are counted from indexed records with those callbacks' rules
(source: app/models/status.rb#increment_counter_caches, app/models/favourite.rb,
app/models/concerns/account/counters.rb), so they can never drift.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from envol.testing.mastodon.ratelimit import Clock
from envol.testing.mastodon.records import (
    Account,
    App,
    AuthorizationCode,
    Favourite,
    Follow,
    Media,
    ProfileField,
    ScheduledStatus,
    Status,
    Token,
)

_TABLES: dict[str, type] = {
    "apps": App,
    "tokens": Token,
    "codes": AuthorizationCode,
    "accounts": Account,
    "follows": Follow,
    "media": Media,
    "statuses": Status,
    "favourites": Favourite,
    "scheduled": ScheduledStatus,
}
# Statuses that count: source: Status#increment_counter_caches returns early for direct ones, and
# a reply counts on its parent only when distributable (public or unlisted).
_DISTRIBUTABLE = ("public", "unlisted")


class Store:
    def __init__(self, clock: Clock, path: Path | None = None) -> None:
        self.clock = clock
        self.path = path
        self.lock = threading.RLock()
        self.apps: dict[str, App] = {}
        self.tokens: dict[str, Token] = {}  # by token value
        self.codes: dict[str, AuthorizationCode] = {}
        self.accounts: dict[str, Account] = {}
        self.follows: dict[str, Follow] = {}
        self.media: dict[str, Media] = {}
        self.statuses: dict[str, Status] = {}
        self.favourites: dict[str, Favourite] = {}
        self.scheduled: dict[str, ScheduledStatus] = {}
        self.blocks: set[tuple[str, str]] = set()  # (blocker, blocked)
        self.idempotency: dict[str, tuple[str, str, float]] = {}  # key -> (kind, id, stored at)
        self.counters: Counter[str] = Counter()
        self._last_id = 0
        self._account_index: dict[tuple[str, str], str] = {}
        self._follow_index: dict[tuple[str, str], str] = {}
        self._statuses_by_account: dict[str, set[str]] = {}
        self._replies: dict[str, set[str]] = {}  # parent id -> reply ids
        self._reblogs: dict[str, dict[str, str]] = {}  # original id -> account id -> reblog id
        self._favourites: dict[str, dict[str, str]] = {}  # status id -> account id -> favourite
        if path is not None and path.exists():
            self._load(path)

    # ids and secrets

    def next_id(self) -> str:
        with self.lock:
            candidate = int(self.clock.now() * 1000) << 16
            self._last_id = max(self._last_id + 1, candidate)
            return str(self._last_id)

    @staticmethod
    def secret() -> str:
        return secrets.token_urlsafe(32)

    # writes that keep the indexes right

    def add_account(self, account: Account) -> Account:
        with self.lock:
            self.accounts[account.id] = account
            self._account_index[_account_key(account.username, account.domain)] = account.id
        return account

    def add_follow(self, follow: Follow) -> Follow:
        with self.lock:
            self.follows[follow.id] = follow
            self._follow_index[(follow.account_id, follow.target_id)] = follow.id
        return follow

    def remove_follow(self, follow: Follow) -> None:
        with self.lock:
            self.follows.pop(follow.id, None)
            self._follow_index.pop((follow.account_id, follow.target_id), None)

    def add_status(self, status: Status) -> Status:
        """Store a status; a non-direct one moves its author's ``last_status_at`` forward.

        source: Account::Counters#update_count! keeps GREATEST(last_status_at, created_at),
        with a created_at in the future counted as now.
        """
        with self.lock:
            self._index_status(status)
            if status.visibility != "direct":
                author = self.accounts[status.account_id]
                moment = min(status.created_at, self.clock.now())
                author.last_status_at = max(author.last_status_at or moment, moment)
        return status

    def remove_status(self, status: Status) -> list[Status]:
        """Remove a status, its favourites and the boosts of it; returns the boosts removed.

        source: RemoveStatusService#remove_reblogs; favourites go with their status.
        """
        with self.lock:
            boosts = [self.statuses[i] for i in self._reblogs.pop(status.id, {}).values()]
            for boost in boosts:
                self.remove_status(boost)
            for favourite_id in self._favourites.pop(status.id, {}).values():
                self.favourites.pop(favourite_id, None)
            self.statuses.pop(status.id, None)
            self._statuses_by_account.get(status.account_id, set()).discard(status.id)
            if status.in_reply_to_id:
                self._replies.get(status.in_reply_to_id, set()).discard(status.id)
            if status.reblog_of_id:
                self._reblogs.get(status.reblog_of_id, {}).pop(status.account_id, None)
        return boosts

    def add_favourite(self, favourite: Favourite) -> Favourite:
        with self.lock:
            self.favourites[favourite.id] = favourite
            by_account = self._favourites.setdefault(favourite.status_id, {})
            by_account[favourite.account_id] = favourite.id
        return favourite

    def remove_favourite(self, favourite: Favourite) -> None:
        with self.lock:
            self.favourites.pop(favourite.id, None)
            self._favourites.get(favourite.status_id, {}).pop(favourite.account_id, None)

    def _index_status(self, status: Status) -> None:
        self.statuses[status.id] = status
        self._statuses_by_account.setdefault(status.account_id, set()).add(status.id)
        if status.in_reply_to_id:
            self._replies.setdefault(status.in_reply_to_id, set()).add(status.id)
        if status.reblog_of_id:
            self._reblogs.setdefault(status.reblog_of_id, {})[status.account_id] = status.id

    # lookups

    def find_account(self, username: str, domain: str | None) -> Account | None:
        account_id = self._account_index.get(_account_key(username, domain))
        return self.accounts.get(account_id) if account_id else None

    def app_by_client_id(self, client_id: str) -> App | None:
        return next((a for a in self.apps.values() if a.client_id == client_id), None)

    def follow_between(self, account_id: str, target_id: str) -> Follow | None:
        follow_id = self._follow_index.get((account_id, target_id))
        return self.follows.get(follow_id) if follow_id else None

    def follows_of(self, account_id: str) -> list[Follow]:
        """Accepted follows the account made."""
        return [f for f in self.follows.values() if f.account_id == account_id and not f.pending]

    def followers_of(self, account_id: str) -> list[Follow]:
        """Accepted follows the account received."""
        return [f for f in self.follows.values() if f.target_id == account_id and not f.pending]

    def statuses_of(self, account_id: str) -> list[Status]:
        """Every status of the account, boosts included, in no particular order."""
        return [self.statuses[i] for i in self._statuses_by_account.get(account_id, ())]

    def favourite_between(self, account_id: str, status_id: str) -> Favourite | None:
        favourite_id = self._favourites.get(status_id, {}).get(account_id)
        return self.favourites.get(favourite_id) if favourite_id else None

    def favourites_of_status(self, status_id: str) -> list[Favourite]:
        return [self.favourites[i] for i in self._favourites.get(status_id, {}).values()]

    def reblog_between(self, account_id: str, status_id: str) -> Status | None:
        """The account's boost of the status, if any."""
        reblog_id = self._reblogs.get(status_id, {}).get(account_id)
        return self.statuses.get(reblog_id) if reblog_id else None

    def reblogs_of(self, status_id: str) -> list[Status]:
        return [self.statuses[i] for i in self._reblogs.get(status_id, {}).values()]

    # counter caches (see the module docstring)

    def statuses_count(self, account_id: str) -> int:
        return sum(1 for s in self.statuses_of(account_id) if s.visibility != "direct")

    def replies_count(self, status_id: str) -> int:
        replies = (self.statuses[i] for i in self._replies.get(status_id, ()))
        return sum(1 for r in replies if r.visibility in _DISTRIBUTABLE)

    def reblogs_count(self, status_id: str) -> int:
        return len(self._reblogs.get(status_id, {}))

    def favourites_count(self, status_id: str) -> int:
        return len(self._favourites.get(status_id, {}))

    # persistence

    def save(self) -> None:
        """Write everything to ``path`` atomically (a no-op without a path)."""
        if self.path is None:
            return
        with self.lock:
            snapshot: dict[str, Any] = {
                name: [dataclasses.asdict(r) for r in getattr(self, name).values()]
                for name in _TABLES
            }
            snapshot["blocks"] = sorted(self.blocks)
            snapshot["idempotency"] = self.idempotency
            snapshot["counters"] = dict(self.counters)
            snapshot["last_id"] = self._last_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(snapshot, out)
        os.replace(temporary, self.path)

    def _load(self, path: Path) -> None:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
        for name, record_type in _TABLES.items():
            table: dict[str, Any] = getattr(self, name)
            for row in snapshot.get(name, []):
                record = _record_from_json(record_type, row)
                table[row["value"] if name in ("tokens", "codes") else row["id"]] = record
        self.blocks = {(a, b) for a, b in snapshot.get("blocks", [])}
        self.idempotency = {k: tuple(v) for k, v in snapshot.get("idempotency", {}).items()}
        self.counters = Counter(snapshot.get("counters", {}))
        self._last_id = int(snapshot.get("last_id", 0))
        for account in list(self.accounts.values()):
            self.add_account(account)
        for follow in list(self.follows.values()):
            self.add_follow(follow)
        for status in list(self.statuses.values()):
            self._index_status(status)
            author = self.accounts.get(status.account_id)
            # Also fills it in for a state saved before it was kept.
            if author is not None and status.visibility != "direct":
                author.last_status_at = max(author.last_status_at or 0.0, status.created_at)
        for favourite in list(self.favourites.values()):
            self.add_favourite(favourite)


def _account_key(username: str, domain: str | None) -> tuple[str, str]:
    return (username.lower(), (domain or "").lower())


def _record_from_json(record_type: type, row: dict[str, Any]) -> Any:
    if record_type is Account:
        row = {**row, "fields": [ProfileField(**f) for f in row.get("fields", [])]}
    if record_type is Media and row.get("focus") is not None:
        row = {**row, "focus": tuple(row["focus"])}
    return record_type(**row)
