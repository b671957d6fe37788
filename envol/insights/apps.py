from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


class InsightsConfig(AppConfig):
    name = "envol.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from envol.orgs.models import ConnectedAccount

        post_save.connect(
            _measure_new_account, sender=ConnectedAccount, dispatch_uid="insights-snapshots"
        )


def _measure_new_account(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """A newly connected account gets its snapshot job (orgs knows nothing of insights); an
    account connected again after its readings failed gets them back."""
    from django.conf import settings

    if kwargs.get("raw"):
        return
    from envol.insights.snapshots import resume_after_reconnect, snapshot_job_for

    if created and settings.ENVOL_SNAPSHOTS:
        snapshot_job_for(instance)
    elif not created:
        resume_after_reconnect(instance)
