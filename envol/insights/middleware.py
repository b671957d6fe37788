"""`/l/<code>`: the short-link redirect, answered before the session, authentication, locale and
CSRF layers run — no session is read or written, no template rendered, one indexed lookup, a
302. Placed right after Django's SecurityMiddleware (whose headers still apply)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect

from envol.insights import shortlinks

PREFIX = "/l/"


class ShortLinkMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(PREFIX):
            return self.get_response(request)
        target = shortlinks.follow(
            path[len(PREFIX) :].rstrip("/"),
            method=request.method or "GET",
            address=_client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        if target is None:
            return HttpResponseNotFound(b"Unknown link.", content_type="text/plain")
        response = HttpResponseRedirect(target)
        response["Cache-Control"] = "no-store"  # every click reaches envol to be counted
        response["Referrer-Policy"] = "no-referrer-when-downgrade"
        return response


def _client_address(request: HttpRequest) -> str:
    """The visitor's address behind a reverse proxy (the first X-Forwarded-For hop), used only
    inside the day's salted hash: a forged header can only change who counts as distinct."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")
