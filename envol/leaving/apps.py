from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeavingConfig(AppConfig):
    name = "envol.leaving"
    label = "leaving"
    verbose_name = _("Leaving X")
    default_auto_field = "django.db.models.BigAutoField"
