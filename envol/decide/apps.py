from django.apps import AppConfig


class DecideConfig(AppConfig):
    name = "envol.decide"
    label = "decide"
    verbose_name = "Decide"
