"""Requests larger than the upload limit are answered 413 with a page, never a traceback.

Why two pieces: Django's ASGI handler reads a request's whole body into a temporary file before
any middleware or view runs, and an upload handler that refuses a declared length raises
`StopUpload` where Django does not catch it (a 500). So the ASGI wrapper (`BodyLimit`, around the
application in `envol/asgi.py`) hands Django an empty body when the declared length is over the
limit, and counts the bytes of a body that declares none; the middleware
(`BodyTooLargeMiddleware`) then answers the page saying the limit, in the visitor's language,
before CSRF checks or views read the (absent) form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

FORM_FIELDS_MARGIN = 64 * 1024  # the form fields sent around the file

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


def request_limit() -> int:
    """The largest request body accepted: the upload limit and the form around it."""
    return int(settings.ENVOL_UPLOAD_MAX_BYTES) + FORM_FIELDS_MARGIN


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """ASGI: never let Django read a body over the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = request_limit()
        length = declared_length(scope.get("headers", []))
        if length is not None and length > limit:
            await self.app(scope, _without_body(receive), send)  # the middleware answers 413
            return
        if length is None:
            receive = _counting(receive, limit)
        await self.app(scope, receive, send)


def _without_body(receive: Receive) -> Receive:
    """An empty body for Django; later calls (Django listens for the client's disconnect while
    it answers) skip what the client still sends, until it disconnects."""
    given = False

    async def replaced() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return message

    return replaced


def _counting(receive: Receive, limit: int) -> Receive:
    """A body with no declared length is cut off (as a client disconnect) past the limit."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            return {"type": "http.disconnect"}
        return message

    return counted


class BodyTooLargeMiddleware:
    """Answers 413 (`web/413.html`, the limit in words) to a request declaring a body over it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > request_limit():
            return too_large(request)
        return self.get_response(request)


def too_large(request: HttpRequest) -> HttpResponse:
    limit = filesizeformat(settings.ENVOL_UPLOAD_MAX_BYTES)
    response = render(request, "web/413.html", {"limit": limit}, status=413)
    response["Connection"] = "close"  # the rest of the body was never read
    return response
