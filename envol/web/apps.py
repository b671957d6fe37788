from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "envol.web"
    label = "web"
    verbose_name = "envol web"
