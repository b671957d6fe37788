"""The feed and its key, public (no sign-in): JSON Lines signed with the instance's key."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.views.decorators.http import require_GET

from envol.sharing import services


@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    page = services.feed_page(after)
    if request.headers.get("If-None-Match") == page.etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(page.body, content_type="application/jsonl; charset=utf-8")
        response[services.SIGNATURE_HEADER] = page.signature
    response["ETag"] = page.etag
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def key(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(services.key_document())
    response["Cache-Control"] = "public, max-age=3600"
    return response
