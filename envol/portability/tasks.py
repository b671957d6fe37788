"""Background job of the web upload (thin: the logic is in services.py)."""

from __future__ import annotations

from django_tasks import task

from envol.portability import services
from envol.portability.models import ArchiveImport


@task()
def run_import(import_id: int) -> str:
    """Import one uploaded archive; returns the final state (done or failed)."""
    archive_import = ArchiveImport.objects.get(pk=import_id)
    services.run_import(archive_import)
    return archive_import.state
