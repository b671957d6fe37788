from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "envol.jobs"
    label = "jobs"
    verbose_name = _("Jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register every app's job kinds: each app declares them in its `jobs` module."""
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
