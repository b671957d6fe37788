"""Background jobs of the leaving app (thin: the logic is in services)."""

from __future__ import annotations

from django_tasks import task


@task()
def sync_starter_pack_task(pack_id: int) -> dict[str, int]:
    from envol.leaving import services
    from envol.leaving.models import StarterPack

    report = services.sync_starter_pack(
        StarterPack.objects.select_related("account").get(pk=pack_id)
    )
    return {"created": report.created, "deleted": report.deleted, "kept": report.kept}
