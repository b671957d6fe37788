"""Template context of every page: the theme's name and the accessibility status of the
footer's link (the RGAA asks for it in the link's text)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def site(request: HttpRequest) -> dict[str, Any]:
    def status() -> str:
        from envol.web.site_pages import compliance_label, page_of

        return compliance_label(page_of("accessibility"))

    return {
        "theme": settings.ENVOL_THEME,
        "accessibility_status": SimpleLazyObject(status),
        "public_org": None,  # the public page sets it: the frame then shows that organisation
        "signup_mode": settings.ENVOL_SIGNUP,  # whether to offer signing in with a network
    }
