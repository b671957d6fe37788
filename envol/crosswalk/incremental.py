# ruff: noqa: S608 - SQL is built from constant table names; values always go as parameters
"""Incremental matching: new links → the relations that name their X ids, in one query.

When someone joins (their `self` link appears) or a subscribed instance sends links, everyone
whose archive names those X ids should see the new match, without re-matching every archive
of the instance. One INSERT … SELECT walks the relations' X id index from the new links, keeps
the links' audience (`matching.AUDIENCE`), and writes a match for every finished import of the
accounts whose archives name them — where there was none, or a weaker one nobody decided on —
then adds the new matches to their imports' tallies (recounting only an import where it
replaced a match).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from envol.crosswalk import tallies
from envol.crosswalk.matching import AUDIENCE, LINKS, MATCHES, RELATIONS
from envol.crosswalk.services import thresholds

IMPORTS = "portability_archiveimport"
BATCH = 500  # links per statement (bound parameters stay well below every database's limit)


def _inserted() -> str:
    """Whether a returned row was inserted (not an update of an existing match). PostgreSQL: a
    row this statement inserted has no deleting transaction (`xmax = 0`); SQLite has one writer,
    so a row with an id above the largest one before the statement is new."""
    if connection.vendor == "postgresql":
        return "(xmax = 0)"
    return "(id > %s)"


def _insert_sql(count: int) -> str:
    band = (
        "CASE WHEN l.confidence >= %s THEN 'auto' WHEN l.confidence >= %s THEN 'review' "
        "ELSE 'none' END"
    )
    links = ", ".join(["%s"] * count)
    return f"""
INSERT INTO {MATCHES} (archive_import_id, relation_id, network, kind, x_id, x_handle, link_id,
    remote_id, remote_handle, remote_url, confidence, band, source, reasons, candidates,
    candidate_count, decision, decided_by_id, decided_at, computed_at)
SELECT a.id, r.id, l.network, r.kind, r.remote_id,
    COALESCE((SELECT MAX(h.x_handle) FROM {LINKS} h WHERE h.x_id = l.x_id), ''),
    l.id, l.remote_id, l.remote_handle,
    l.remote_url, l.confidence, {band}, l.source,
    l.source || CASE WHEN l.evidence <> '' THEN ': ' || l.evidence ELSE '' END, '', 1,
    CASE WHEN l.confidence >= %s THEN 'accepted' ELSE 'pending' END, NULL,
    CASE WHEN l.confidence >= %s THEN %s ELSE NULL END, %s
FROM {LINKS} l
JOIN {RELATIONS} r ON r.remote_id = CAST(l.x_id AS {_text()})
JOIN {IMPORTS} a ON a.source_account_id = r.source_account_id AND a.state = 'done'
WHERE l.id IN ({links}) AND {AUDIENCE}
ON CONFLICT (archive_import_id, relation_id, network) DO UPDATE SET
    x_handle = excluded.x_handle, link_id = excluded.link_id, remote_id = excluded.remote_id,
    remote_handle = excluded.remote_handle, remote_url = excluded.remote_url,
    confidence = excluded.confidence, band = excluded.band, source = excluded.source,
    reasons = excluded.reasons, decision = excluded.decision,
    decided_at = excluded.decided_at, computed_at = excluded.computed_at
WHERE {MATCHES}.decided_by_id IS NULL AND {MATCHES}.confidence < excluded.confidence
RETURNING id, archive_import_id, network, kind, band, decision, source, {_inserted()}
"""


def _text() -> str:
    return "text" if connection.vendor == "postgresql" else "TEXT"


def match_new_links(link_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Match the relations that name the X ids of `link_ids`; the ids of the matches written
    (new, or improved over an undecided weaker one). Never touches a decided match."""
    limits = thresholds()
    when = connection.ops.adapt_datetimefield_value(now or timezone.now())
    written: list[int] = []
    added: Counter[tallies.Group] = Counter()
    recount: set[int] = set()  # imports where a match was replaced: its old group is unknown
    ids = list(dict.fromkeys(link_ids))
    with transaction.atomic(), connection.cursor() as cursor:
        last_before: list[int] = []
        if connection.vendor != "postgresql":
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {MATCHES}")
            last_before = [int(cursor.fetchone()[0])]
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            params = [limits.auto, limits.review, limits.auto, limits.auto, when, when, *batch]
            cursor.execute(_insert_sql(len(batch)), [*params, *last_before])
            for match_id, import_id, *group, new in cursor.fetchall():
                written.append(match_id)
                if new:
                    added[(import_id, *group)] += 1
                else:
                    recount.add(import_id)
        # The review pages count from the tallies: new matches are added to them, and the few
        # imports where a weaker match was replaced are recounted.
        tallies.add({group: n for group, n in added.items() if group[0] not in recount})
        tallies.refresh_imports(recount)
    return written
