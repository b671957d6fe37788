from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrosswalkConfig(AppConfig):
    name = "envol.crosswalk"
    label = "crosswalk"
    verbose_name = _("Crosswalk")
    default_auto_field = "django.db.models.BigAutoField"
