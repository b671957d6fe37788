"""Shared helpers for the crosswalk tests: dataset files and an imported archive's relations."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from envol.orgs.models import Organisation
from envol.portability.models import ArchiveImport, Relation, SourceAccount

HEADER = ["x_id", "x_handle", "bluesky_handle", "bluesky_did", "mastodon_account", "evidence"]


def did_for(n: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    body = "".join(alphabet[(n >> (5 * i)) % 32] for i in range(24))
    return f"did:plc:{body}"


def write_csv(path: Path, rows: Iterable[Iterable[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def archive_with_following(
    org: Organisation, x_ids: Iterable[str], kind: str = Relation.Kind.FOLLOWING
) -> ArchiveImport:
    """An archive import of `org` whose source account has these relations (as the importer
    of issue 3 leaves them)."""
    account, _ = SourceAccount.objects.get_or_create(
        organisation=org, network="x", remote_id=f"9{org.pk}", defaults={"username": org.slug}
    )
    archive = ArchiveImport.objects.create(
        organisation=org, source_account=account, state=ArchiveImport.State.DONE
    )
    Relation.objects.bulk_create(
        [
            Relation(source_account=account, kind=kind, remote_id=x, first_import=archive)
            for x in x_ids
        ],
        ignore_conflicts=True,
    )
    return archive
