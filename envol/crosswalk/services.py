"""The crosswalk's operations, shared by the CLI, the web pages and the tasks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from envol.crosswalk import store, tallies
from envol.crosswalk.chunks import drop_shared_tables, staged_chunks
from envol.crosswalk.dataset import DatasetError
from envol.crosswalk.halves import InHalves
from envol.crosswalk.import_session import ImportSession
from envol.crosswalk.models import DatasetImport
from envol.orgs.models import Organisation
from envol.orgs.services import audit

__all__ = ["DatasetError", "ImportSummary", "forget_source", "import_dataset", "thresholds"]

FINGERPRINT_BYTES = 1 << 20
SOURCE_KINDS = (
    "self",
    "self-public",
    "dataset",
    "domain-handle",
    "cross-link",
    "bridge",
    "manual",
)


class SourceNameError(ValueError):
    """A source name the crosswalk does not know."""


def check_source(name: str) -> str:
    kind = name.split(":", 1)[0]
    if kind not in SOURCE_KINDS or (kind == "dataset") != (":" in name) or name.endswith(":"):
        raise SourceNameError(
            f"Unknown source {name!r}: use dataset:<name> for a dataset, or one of "
            "self, self-public, domain-handle, cross-link, bridge, manual."
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
    on_resume: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Upsert every valid row of a CSV / JSON Lines file as links asserted by `source`.

    Chunk by chunk, each committed with the import's progress: importing the same file again
    for the same source after an interruption resumes after the last committed chunk (then
    `on_resume` hears the line it resumes after), and the summary covers the whole file."""
    source = dataset_source(source)
    if not 0.0 <= default_confidence <= 1.0:
        raise DatasetError(f"--confidence {default_confidence} is outside [0, 1].")
    run = _resumable_run(path, source, default_confidence)
    drop_shared_tables(
        str(pk)
        for pk in DatasetImport.objects.filter(state=DatasetImport.State.RUNNING).values_list(
            "pk", flat=True
        )
    )
    if run.lines_done and on_resume is not None:
        on_resume(run.lines_done)
    merged = [store.Part.of_json(part) for part in run.parts_done]
    in_halves = InHalves(run, source, merged)
    chunks = staged_chunks(
        path,
        default_confidence,
        after_line=run.lines_done,
        progress=progress,
        shared_as=str(run.pk),
        settle=in_halves.settle,
    )
    with ImportSession() as session, in_halves, closing(chunks):
        for chunk in chunks:
            if chunk.shared:
                in_halves.merge(chunk)
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                skipped = store.merged_among(merged, chunk.after_line, chunk.last_line)
                staged = None if skipped else chunk.links  # None: counted by the merge
                result = store.merge_staged(cursor, chunk.table, staged, source, merged=skipped)
                run.imported += result.imported
                run.updated += result.updated
                run.chunk_merged(chunk)
                run.save()
            session.committed()
    run.refresh_from_db()
    run.state = DatasetImport.State.DONE
    run.finished_at = timezone.now()
    run.save()
    store.analyse()
    summary = ImportSummary(
        imported=run.imported,
        updated=run.updated,
        rejected=run.rejected,
        errors=[{"row": row, "reason": reason} for row, reason in run.errors],
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


def fingerprint(path: Path) -> str:
    """The file's size and a hash of its first and last MiB: enough to tell the same file
    from another without reading millions of rows."""
    try:
        size = path.stat().st_size
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            digest.update(fh.read(FINGERPRINT_BYTES))
            fh.seek(max(size - FINGERPRINT_BYTES, 0))
            digest.update(fh.read(FINGERPRINT_BYTES))
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror}).") from None
    return f"{size}:{digest.hexdigest()}"


def _resumable_run(path: Path, source: str, default_confidence: float) -> DatasetImport:
    """The interrupted import of this very file for `source`, or a new one that supersedes
    the source's other interrupted imports (they could only resume with their own file)."""
    file_print = fingerprint(path)
    run = (
        DatasetImport.objects.filter(
            source=source,
            fingerprint=file_print,
            default_confidence=default_confidence,
            state=DatasetImport.State.RUNNING,
        )
        .order_by("-pk")
        .first()
    )
    if run is None:
        DatasetImport.objects.filter(source=source, state=DatasetImport.State.RUNNING).update(
            state=DatasetImport.State.SUPERSEDED
        )
        run = DatasetImport.objects.create(
            source=source,
            file_name=path.name[:255],
            fingerprint=file_print,
            default_confidence=default_confidence,
        )
    return run


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


def review_and_accepted_counts(org: Organisation) -> tuple[int, int]:
    """Matches of the organisation's imports that wait for a person's decision (the "to
    review" band, neither accepted nor rejected yet) and the accepted ones, for the dashboard,
    in one query. Read from the tallies: counting the matches themselves made the dashboard 6×
    slower than /healthz with 100k matches."""
    from django.db.models import Q, Sum

    from envol.crosswalk.models import Band, Decision, MatchTally

    found = MatchTally.objects.filter(archive_import__organisation=org).aggregate(
        review=Sum("count", filter=Q(band=Band.REVIEW, decision=Decision.PENDING)),
        accepted=Sum("count", filter=Q(decision=Decision.ACCEPTED)),
    )
    return int(found["review"] or 0), int(found["accepted"] or 0)


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


@dataclass(frozen=True)
class MatchOutcomes:
    """What became of an import's relations on one network (one match per relation)."""

    accepted: int
    pending_review: int  # found, automatic or to review, nobody decided yet
    rejected: int


def match_outcomes(import_id: int, network: str, kind: str = "following") -> MatchOutcomes:
    """From the tallies: matches the estimate must not call "not found"."""
    from envol.crosswalk.models import Band, Decision

    scope = {"network": network, "kind": kind}
    tallied = tallies.ImportTallies(import_id)
    decisions = tallied.counts("decision", **scope)
    pending = tallied.total(decision=Decision.PENDING, band__in=[Band.AUTO, Band.REVIEW], **scope)
    return MatchOutcomes(
        accepted=decisions.get(Decision.ACCEPTED, 0),
        pending_review=pending,
        rejected=decisions.get(Decision.REJECTED, 0),
    )


def decide(org: Organisation, match_ids: list[int], decision: str, actor: Any) -> int:
    """A person accepts or rejects matches of their own organisation's imports."""
    from django.utils import timezone

    from envol.crosswalk.models import Decision, Match

    if decision not in (Decision.ACCEPTED, Decision.REJECTED, Decision.PENDING):
        raise ValueError(decision)
    chosen = Match.objects.filter(pk__in=match_ids, archive_import__organisation=org)
    with transaction.atomic():
        imports = set(chosen.values_list("archive_import_id", flat=True).distinct())
        changed = chosen.update(
            decision=decision,
            decided_by=actor if decision != Decision.PENDING else None,
            decided_at=timezone.now(),
        )
        tallies.refresh_imports(imports)
    audit("crosswalk.decide", organisation=org, actor=actor, decision=decision, count=changed)
    return changed
