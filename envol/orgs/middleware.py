"""Remembers which organisation the signed-in member is working on (the switcher)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from envol.orgs.services import organisations_of


class CurrentOrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            orgs = organisations_of(request.user)
            slug = request.session.get("current_org")
            request.organisation = (  # type: ignore[attr-defined]
                orgs.filter(slug=slug).first() if slug else None
            ) or orgs.first()
        return self.get_response(request)
