"""Remembers which organisation the signed-in member is working on (the switcher)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from envol.orgs.models import Organisation
from envol.orgs.services import request_organisations


def _from_session(request: HttpRequest) -> Organisation | None:
    orgs = request_organisations(request)
    slug = request.session.get("current_org")
    chosen = next((o for o in orgs if o.slug == slug), None) if slug else None
    return chosen or (orgs[0] if orgs else None)


class CurrentOrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            # Read only when used: the pages under /o/<org>/ set it from the membership
            # (org_view), and a query here on each of their views was wasted.
            current: Any = SimpleLazyObject(lambda: _from_session(request))
            request.organisation = current  # type: ignore[attr-defined]
        return self.get_response(request)
