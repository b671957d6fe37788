from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigrationConfig(AppConfig):
    name = "envol.migration"
    label = "migration"
    verbose_name = _("Follow migration")
    default_auto_field = "django.db.models.BigAutoField"
