"""The archive site: the admins' page to build and publish it, and the published site itself.

The build is a job of the engine (`history/jobs.py`); the page refreshes itself while it
runs (a meta refresh, no JavaScript). The published site is served file by file from the build
folder and nowhere else (`services.published_file`).
"""

from __future__ import annotations

import mimetypes
import re
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from envol.history import services
from envol.history.contrast import safe_colour
from envol.history.forms import MoveForm, SiteForm
from envol.history.pages import CSP
from envol.orgs.models import Role
from envol.orgs.services import org_view

REFRESH_SECONDS = 2
_OLD_X_PATH = re.compile(r"^(?:[A-Za-z0-9_]{1,15}|i/web)/status(?:es)?/([0-9]{1,20})/?$")


def _org(request: HttpRequest) -> Any:
    return request.organisation  # type: ignore[attr-defined]


@org_view(min_role=Role.EDITOR)
def site_page(request: HttpRequest) -> HttpResponse:
    """Editors see the site's state; admins build and publish it."""
    org = _org(request)
    is_admin = request.membership.can(Role.ADMIN)  # type: ignore[attr-defined]
    if request.method == "POST" and not is_admin:
        raise Http404
    site = services.site_of(org)
    initial = {
        "archive_import": site.archive_import_id,
        "lang": site.lang,
        "colour": site.colour,
    }
    form = SiteForm(initial=initial, organisation=org)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "build":
                form = SiteForm(request.POST, organisation=org)
                if form.is_valid():
                    services.configure(
                        site,
                        archive_import=form.cleaned_data["archive_import"],
                        lang=form.cleaned_data["lang"],
                        colour=form.cleaned_data["colour"],
                        actor=request.user,
                    )
                    services.request_build(site, request.user)
                    return redirect("history:site", org=org.slug)
            elif action in ("publish", "unpublish"):
                services.set_published(site, action == "publish", request.user)
                return redirect("history:site", org=org.slug)
        except services.HistoryError as exc:
            messages.error(request, str(exc))
    colour = safe_colour(site.colour)
    return render(
        request,
        "history/site.html",
        {
            "org": org,
            "site": site,
            "form": form,
            "colour": colour,
            "public_url": services.served_base_url(org),
            "refresh": REFRESH_SECONDS if site.is_busy else None,
            "is_admin": is_admin,
        },
    )


@org_view(min_role=Role.EDITOR)
def move_page(request: HttpRequest) -> HttpResponse:
    """The history migration to Bluesky: the planner (nothing sent), then the job for admins,
    and the progress of every migration (the page refreshes itself while one runs)."""
    from envol.history import move_texts, moving
    from envol.history.models import HistoryMigration

    org = _org(request)
    is_admin = request.membership.can(Role.ADMIN)  # type: ignore[attr-defined]
    form = MoveForm(request.POST or None, organisation=org)
    plan_lines: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choice = moving.Choice(
            data["since"],
            data["until"],
            data["replies"],
            data["retweets"],
            data["hashtag"].lstrip("#").lower(),
        )
        try:
            if request.POST.get("action") == "start":
                if not is_admin:
                    raise Http404
                moving.create_job(
                    org, data["archive_import"].pk, data["account"], choice, actor=request.user
                )
                return redirect("history:move", org=org.slug)
            plan = moving.plan(org, data["archive_import"].pk, data["account"], choice)
            plan_lines = move_texts.plan_lines(plan)
        except moving.HistoryMoveError as exc:
            messages.error(request, str(exc))
    jobs = list(HistoryMigration.objects.filter(organisation=org).select_related("account")[:20])
    return render(
        request,
        "history/move.html",
        {
            "org": org,
            "form": form,
            "plan_lines": plan_lines,
            "jobs": jobs,
            "is_admin": is_admin,
            "refresh": REFRESH_SECONDS if any(job.is_active for job in jobs) else None,
        },
    )


@org_view(min_role=Role.ADMIN)
def move_action(request: HttpRequest, job_id: int) -> HttpResponse:
    """Pause, resume or cancel a history migration (POST only)."""
    from envol.history import moving
    from envol.history.models import HistoryMigration

    org = _org(request)
    job = HistoryMigration.objects.filter(organisation=org, pk=job_id).first()
    actions = {"pause": moving.pause, "resume": moving.resume, "cancel": moving.cancel}
    action = actions.get(request.POST.get("action", ""))
    if request.method != "POST" or job is None or action is None:
        raise Http404
    try:
        action(job, request.user)
    except moving.HistoryMoveError as exc:
        messages.error(request, str(exc))
    return redirect("history:move", org=org.slug)


def archive_file(request: HttpRequest, public_slug: str, relative: str) -> HttpResponseBase:
    """/<slug>/archive/<path>: a file of the published site, or 404 (unknown, unpublished and
    missing alike). An old X path (…/status/<id>) leads to the post's page."""
    old = _OLD_X_PATH.match(relative)
    if old and services.published_file(public_slug, f"status/{old.group(1)}.html"):
        return HttpResponseRedirect(f"{request.path[: -len(relative)]}status/{old.group(1)}.html")
    path = services.published_file(public_slug, relative)
    if path is None:
        raise Http404
    content_type, _encoding = mimetypes.guess_type(path.name)
    if path.suffix == ".html":
        content_type = "text/html; charset=utf-8"
    elif path.suffix == ".js":
        content_type = "text/javascript; charset=utf-8"
    response = FileResponse(
        path.open("rb"), content_type=content_type or "application/octet-stream"
    )
    response["Content-Security-Policy"] = f"{CSP}; frame-ancestors 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response
