from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "envol.people"
    label = "people"
    verbose_name = _("Personal spaces")
    default_auto_field = "django.db.models.BigAutoField"
