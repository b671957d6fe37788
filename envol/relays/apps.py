from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelaysConfig(AppConfig):
    name = "envol.relays"
    label = "relays"
    verbose_name = _("Relays")
    default_auto_field = "django.db.models.BigAutoField"
