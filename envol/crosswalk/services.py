"""The crosswalk's operations, shared by the CLI, the web pages and the tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from envol.crosswalk import store
from envol.crosswalk.dataset import DatasetError, Rejections, read_dataset
from envol.crosswalk.parallel_read import read_dataset_in_child
from envol.orgs.models import Organisation
from envol.orgs.services import audit

__all__ = ["DatasetError", "ImportSummary", "forget_source", "import_dataset", "thresholds"]

# Above this size a child process reads the file while this one writes (see parallel_read).
READ_IN_CHILD_ABOVE_BYTES = 20_000_000
SOURCE_KINDS = ("self", "dataset", "domain-handle", "cross-link", "bridge", "manual")


class SourceNameError(ValueError):
    """A source name the crosswalk does not know."""


def check_source(name: str) -> str:
    kind = name.split(":", 1)[0]
    if kind not in SOURCE_KINDS or (kind == "dataset") != (":" in name) or name.endswith(":"):
        raise SourceNameError(
            f"Unknown source {name!r}: use dataset:<name> for a dataset, or one of "
            "self, domain-handle, cross-link, bridge, manual."
        )
    return name


def dataset_source(name: str) -> str:
    """`openportability` → `dataset:openportability`; a full name is kept as it is."""
    return check_source(name if ":" in name or name in SOURCE_KINDS else f"dataset:{name}")


@dataclass
class ImportSummary:
    imported: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "rejected": self.rejected,
            "errors": self.errors,
        }


def import_dataset(
    path: Path,
    source: str,
    default_confidence: float = 0.8,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Upsert every valid row of a CSV / JSON Lines file as links asserted by `source`."""
    source = dataset_source(source)
    if not 0.0 <= default_confidence <= 1.0:
        raise DatasetError(f"--confidence {default_confidence} is outside [0, 1].")
    rejections = Rejections()
    try:
        large = path.stat().st_size > READ_IN_CHILD_ABOVE_BYTES
    except OSError:
        large = False  # read_dataset says why the file cannot be read
    read = read_dataset_in_child if large else read_dataset
    result = store.merge_link_batches(read(path, default_confidence, rejections, progress), source)
    summary = ImportSummary(
        imported=result.imported,
        updated=result.updated,
        rejected=rejections.count,
        errors=[{"row": row, "reason": reason} for row, reason in rejections.errors],
    )
    audit(
        "crosswalk.import",
        organisation=None,
        source=source,
        file=path.name,
        imported=summary.imported,
        updated=summary.updated,
        rejected=summary.rejected,
    )
    return summary


def forget_source(source: str) -> int:
    """Takedown: remove everything `source` asserted (links only it asserted disappear)."""
    source = dataset_source(source)
    removed = store.forget(source)
    audit("crosswalk.forget", organisation=None, source=source, removed=removed)
    return removed


@dataclass(frozen=True)
class Thresholds:
    auto: float
    review: float


def thresholds() -> Thresholds:
    """ENVOL_MATCH_AUTO (default 0.9) and ENVOL_MATCH_REVIEW (default 0.5) from the settings."""
    return Thresholds(
        auto=float(getattr(settings, "ENVOL_MATCH_AUTO", 0.9)),
        review=float(getattr(settings, "ENVOL_MATCH_REVIEW", 0.5)),
    )


def accepted_matches(org: Organisation, import_id: int) -> list[dict[str, Any]]:
    """The accepted matches of one of `org`'s archive imports, one entry per X account, both
    networks side by side (used by the starter pack and the exports)."""
    from envol.crosswalk.models import Decision, Match

    by_relation: dict[int, dict[str, Any]] = {}
    rows = (
        Match.objects.filter(
            archive_import_id=import_id,
            archive_import__organisation=org,
            decision=Decision.ACCEPTED,
        )
        .order_by("relation_id", "network")
        .values("relation_id", "network", "remote_id", "remote_handle", "x_id")
    )
    for row in rows:
        entry = by_relation.setdefault(
            row["relation_id"],
            {
                "id": row["relation_id"],
                "x_id": row["x_id"],
                "label": "",
                "bluesky_did": "",
                "bluesky_handle": "",
                "mastodon_address": "",
            },
        )
        if row["network"] == "bluesky":
            entry["bluesky_did"] = row["remote_id"]
            entry["bluesky_handle"] = row["remote_handle"]
        else:
            entry["mastodon_address"] = row["remote_id"]
        entry["label"] = entry["bluesky_handle"] or entry["mastodon_address"]
    return list(by_relation.values())


def decide(org: Organisation, match_ids: list[int], decision: str, actor: Any) -> int:
    """A person accepts or rejects matches of their own organisation's imports."""
    from django.utils import timezone

    from envol.crosswalk.models import Decision, Match

    if decision not in (Decision.ACCEPTED, Decision.REJECTED, Decision.PENDING):
        raise ValueError(decision)
    changed = Match.objects.filter(pk__in=match_ids, archive_import__organisation=org).update(
        decision=decision,
        decided_by=actor if decision != Decision.PENDING else None,
        decided_at=timezone.now(),
    )
    audit("crosswalk.decide", organisation=org, actor=actor, decision=decision, count=changed)
    return changed
