import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
django_application = get_asgi_application()

from envol.web.body_limit import BodyLimit  # noqa: E402 - needs the settings loaded above

application = BodyLimit(django_application)
