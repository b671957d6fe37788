"""Template context: the current organisation and the ones the member can switch to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from envol.orgs.services import organisations_of


def current_organisation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_org": getattr(request, "organisation", None),
        "my_orgs": organisations_of(user),
    }
