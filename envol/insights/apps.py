from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "envol.insights"
    label = "insights"
    verbose_name = "Insights"
