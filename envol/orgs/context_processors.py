"""Template context: the current organisation and the ones the member can switch to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from envol.orgs.services import organisations_of


def current_organisation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_org": None, "my_orgs": [], "menu": []}
    org = getattr(request, "organisation", None)
    return {
        "current_org": org,
        "my_orgs": organisations_of(user),
        "menu": menu_for(org.slug, request.path, org.kind) if org else [],
    }


def menu_for(org_slug: str, path: str, kind: str = "") -> list[dict[str, Any]]:
    """The main menu with URLs resolved for the organisation and the current entry marked (a
    person's space has its own, shorter one)."""
    from django.urls import reverse

    from envol.web.navigation import MENU, PERSON_MENU

    base = f"/o/{org_slug}/"
    entries = []
    for entry in PERSON_MENU if kind == "person" else MENU:
        url = reverse(entry.url_name, kwargs={"org": org_slug})
        current = path == url if not entry.url_prefix else path.startswith(base + entry.url_prefix)
        entries.append({"label": entry.label, "url": url, "current": current})
    return entries
