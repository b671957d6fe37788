"""Template context: the current organisation and the ones the member can switch to."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise

from envol.orgs.services import request_organisations


def current_organisation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_org": None, "my_orgs": [], "menu": []}
    org = getattr(request, "organisation", None)
    return {
        "current_org": org,
        "my_orgs": request_organisations(request),
        "menu": menu_for(org.slug, request.path, org.kind) if org else [],
    }


def menu_for(org_slug: str, path: str, kind: str = "") -> list[dict[str, Any]]:
    """The main menu with URLs resolved for the organisation and the current entry marked (a
    person's space has its own, shorter one)."""
    base = f"/o/{org_slug}/"
    return [
        {
            "label": label,
            "url": url,
            "current": path == url if not prefix else path.startswith(base + prefix),
        }
        for label, url, prefix in _menu_urls(get_script_prefix(), get_urlconf(), org_slug, kind)
    ]


@lru_cache(maxsize=512)
def _menu_urls(
    script_prefix: str, urlconf: str | None, org_slug: str, kind: str
) -> tuple[tuple[str | Promise, str, str], ...]:
    """The menu's URLs for one organisation, reversed once per process (a dozen reverse()
    calls were a tenth of a page's CPU); the labels stay lazy, translated when rendered."""
    from envol.web.navigation import MENU, PERSON_MENU

    return tuple(
        (entry.label, reverse(entry.url_name, kwargs={"org": org_slug}), entry.url_prefix)
        for entry in (PERSON_MENU if kind == "person" else MENU)
    )
