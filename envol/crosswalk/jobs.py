"""Matching as a job of the engine: the web page asks for it and follows its progress instead of
waiting for it inside the request (1–3 s per 100k follows, more on a busy database)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envol.crosswalk.matching import compute_matches
from envol.crosswalk.models import MatchingJob
from envol.jobs.kinds import JobKind, Outcome, Step, register, to
from envol.orgs.services import audit
from envol.portability.models import ArchiveImport


def start_matching(archive: ArchiveImport, network: str, kind: str, actor: Any) -> MatchingJob:
    """A matching job for the workers; one already waiting or running for the same import,
    network and kind is returned instead of a second one (a double click matches once)."""
    running = MatchingJob.objects.filter(
        archive_import=archive,
        network=network,
        kind=kind,
        state__in=MatchingJob.machine.runnable,
    ).first()
    if running is not None:
        return running
    return MatchingJob.objects.create(
        organisation_id=archive.organisation_id,
        archive_import=archive,
        network=network,
        kind=kind,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )


def latest_matching(archive: ArchiveImport) -> MatchingJob | None:
    return MatchingJob.objects.filter(archive_import=archive).order_by("-pk").first()


def begin(job: MatchingJob, step: Step) -> Outcome:
    return to(MatchingJob.State.RUNNING)


def match(job: MatchingJob, step: Step) -> Outcome:
    """Run atomically by the engine: the matches and "done" commit together (a large import's
    matches are written in parts that commit first, each on its connection: a retry after a
    crash recomputes them, an upsert)."""
    summary = compute_matches(
        job.archive_import, job.network, job.kind, now=step.now, in_parts=True
    )
    return to(MatchingJob.State.DONE, fields={"summary": summary.as_json()})


def on_transition(job: MatchingJob, previous: str, actor: Any, detail: Mapping[str, Any]) -> None:
    if job.state == MatchingJob.State.DONE:
        audit(
            "crosswalk.match",
            organisation=job.organisation,
            actor=job.requested_by,
            obj=job.archive_import,
            network=job.network,
            matched=job.summary.get("matched", 0),
        )


MATCHING = register(
    JobKind(
        model=MatchingJob,
        handlers={MatchingJob.State.PENDING: begin, MatchingJob.State.RUNNING: match},
        fairness="organisation_id",
        atomic=(MatchingJob.State.RUNNING,),
        max_errors=3,
        on_transition=on_transition,
        select_related=("organisation", "archive_import", "requested_by"),
    )
)
