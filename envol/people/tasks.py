"""Background job of a person's archive upload (thin: the logic is in the services)."""

from __future__ import annotations

from django_tasks import task

from envol.people import services
from envol.portability import services as portability
from envol.portability.models import ArchiveImport


@task()
def import_for_person(import_id: int) -> str:
    """Import the archive, then find the person's matches and write their consented links."""
    archive_import = ArchiveImport.objects.select_related("organisation").get(pk=import_id)
    portability.run_import(archive_import)
    if archive_import.state == ArchiveImport.State.DONE:
        services.after_import(archive_import.organisation)
    return archive_import.state
