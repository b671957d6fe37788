"""The web shell: home redirect, dashboard, organisation switcher, health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from envol.orgs.services import membership_for, org_view


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    org = getattr(request, "organisation", None)
    if org is None:
        return render(request, "web/no_organisation.html")
    return redirect("dashboard", org=org.slug)


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    membership = membership_for(request.user, request.POST.get("org", ""))
    request.session["current_org"] = membership.organisation.slug
    return redirect("dashboard", org=membership.organisation.slug)


@org_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    return render(
        request,
        "web/dashboard.html",
        {
            "org": org,
            "accounts": org.accounts.order_by("network", "handle"),
            "membership": request.membership,  # type: ignore[attr-defined]
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})
