from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelaysConfig(AppConfig):
    name = "envol.relays"
    label = "relays"
    verbose_name = _("Relays")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Publishing asks the apps that make posts for their link cards: a relayed feed item
        has its title and summary."""
        from envol.publishing.services import link_card_sources
        from envol.relays.services import link_card

        if link_card not in link_card_sources:
            link_card_sources.append(link_card)
