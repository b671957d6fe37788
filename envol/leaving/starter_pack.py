"""Bluesky starter pack records: one curate list, its items, and the starter pack pointing to it.

Idempotent by construction: the record keys are chosen and stored before any write, the list and
the starter pack are written with `putRecord` at those keys (create or replace), and the items are
reconciled with what the repository already holds (an item found at another key is adopted, a
duplicate or an unwanted one is deleted) before anything is created. Running it twice, or after a
crash between a write and the save, never leaves two records for one account.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

LIST = "app.bsky.graph.list"
LIST_ITEM = "app.bsky.graph.listitem"
STARTER_PACK = "app.bsky.graph.starterpack"
CURATE_LIST = "app.bsky.graph.defs#curatelist"


class Repository(Protocol):
    """What the sync needs from an account's repository: `BlueskyNetwork` provides it."""

    @property
    def did(self) -> str: ...

    def list_records(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def put_record(self, collection: str, key: str, record: dict[str, Any]) -> None: ...

    def create_records(
        self, collection: str, records: Sequence[tuple[str, dict[str, Any]]]
    ) -> None: ...

    def delete_records(self, collection: str, keys: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class PackSpec:
    name: str
    description: str
    list_rkey: str
    pack_rkey: str
    created_at: str  # ISO 8601, kept stable across runs


@dataclass
class SyncReport:
    created: int = 0
    deleted: int = 0
    kept: int = 0
    adopted: dict[str, str] = field(default_factory=dict)  # subject DID → rkey found remotely


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def plan_items(
    wanted: dict[str, str], remote: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[str], dict[str, str]]:
    """Pure diff. `wanted`: subject DID → stored rkey; `remote`: (rkey, subject DID) present in
    the list. Returns (to create as (rkey, did), rkeys to delete, adopted DID → remote rkey)."""
    rkeys_by_did: dict[str, list[str]] = {}
    for rkey, did in remote:
        rkeys_by_did.setdefault(did, []).append(rkey)
    present: dict[str, str] = {}
    to_delete: list[str] = []
    for did, rkeys in sorted(rkeys_by_did.items()):
        if did not in wanted:
            to_delete.extend(sorted(rkeys))
            continue
        keep = wanted[did] if wanted[did] in rkeys else min(rkeys)
        present[did] = keep
        to_delete.extend(sorted(r for r in rkeys if r != keep))  # duplicates
    to_create = [(rkey, did) for did, rkey in sorted(wanted.items()) if did not in present]
    adopted = {did: rkey for did, rkey in present.items() if wanted[did] != rkey}
    return to_create, to_delete, adopted


def sync_pack(
    repo: Repository, spec: PackSpec, wanted: dict[str, str], *, items_at: str | None = None
) -> SyncReport:
    """Make the repository hold exactly the list, the wanted items and the starter pack."""
    list_uri = f"at://{repo.did}/{LIST}/{spec.list_rkey}"
    updated_at = now_iso()
    repo.put_record(
        LIST,
        spec.list_rkey,
        {
            "$type": LIST,
            "purpose": CURATE_LIST,
            "name": spec.name,
            "description": spec.description,
            "createdAt": spec.created_at,
        },
    )
    remote = [
        (rkey, str(value.get("subject", "")))
        for rkey, value in repo.list_records(LIST_ITEM)
        if value.get("list") == list_uri
    ]
    to_create, to_delete, adopted = plan_items(wanted, remote)
    stamp = items_at or updated_at
    repo.delete_records(LIST_ITEM, to_delete)
    repo.create_records(
        LIST_ITEM,
        [
            (rkey, {"$type": LIST_ITEM, "subject": did, "list": list_uri, "createdAt": stamp})
            for rkey, did in to_create
        ],
    )
    repo.put_record(
        STARTER_PACK,
        spec.pack_rkey,
        {
            "$type": STARTER_PACK,
            "name": spec.name,
            "description": spec.description,
            "list": list_uri,
            "createdAt": spec.created_at,
            "updatedAt": updated_at,
        },
    )
    return SyncReport(
        created=len(to_create),
        deleted=len(to_delete),
        kept=len(wanted) - len(to_create),
        adopted=adopted,
    )
