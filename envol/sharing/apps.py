from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "envol.sharing"
    label = "sharing"
    verbose_name = _("Crosswalk shared between instances")
    default_auto_field = "django.db.models.BigAutoField"
