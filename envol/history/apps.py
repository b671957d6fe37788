from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "envol.history"
    label = "history"
    verbose_name = _("Post history")
    default_auto_field = "django.db.models.BigAutoField"
