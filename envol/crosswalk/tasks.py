"""Background jobs of the crosswalk (thin: the logic is in matching.py and services.py)."""

from __future__ import annotations

from django_tasks import task

from envol.crosswalk.matching import compute_matches
from envol.portability.models import ArchiveImport


@task()
def match_import(import_id: int, network: str, kind: str = "following") -> dict[str, object]:
    """Compute the matches of one archive import; returns the totals `envol match` prints."""
    archive = ArchiveImport.objects.get(pk=import_id)
    return compute_matches(archive, network, kind).as_json()
