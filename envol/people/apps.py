from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "envol.people"
    label = "people"
    verbose_name = _("Personal spaces")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """A person's archive follow-up is due when their import ends (`signals`)."""
        from envol.people.services import import_finished
        from envol.portability import signals

        signals.import_finished.connect(import_finished, dispatch_uid="people.import_finished")
