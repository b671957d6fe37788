"""Background job of the archive site page (thin: the logic is in services)."""

from __future__ import annotations

from django_tasks import task


@task()
def build_archive_site(site_id: int) -> str:
    """Build an organisation's archive site; returns the final state (built or failed)."""
    from envol.history import services
    from envol.history.models import ArchiveSite

    site = ArchiveSite.objects.select_related("organisation", "archive_import").get(pk=site_id)
    services.run_build(site)
    return site.state
