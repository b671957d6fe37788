"""The web shell: home redirect, dashboard, organisation switcher, health check, the instance's
own pages (accessibility statement, legal notice), the organisations' colour and logo, and the
error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from envol.orgs.models import Organisation
from envol.orgs.services import membership_for, org_view
from envol.web.journey import journey_of
from envol.web.models import SitePage
from envol.web.site_pages import body_html, page_of


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    org = getattr(request, "organisation", None)
    if not org:  # None, or the middleware's lazy organisation that found none
        return render(request, "web/no_organisation.html")
    if org.kind == Organisation.Kind.PERSON:
        return redirect("people:journey", org=org.slug)
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
            "journey": journey_of(org),
            "membership": request.membership,  # type: ignore[attr-defined]
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def site_page(request: HttpRequest, kind: str) -> HttpResponse:
    """/about/accessibility/ and /about/legal/: the texts the instance's administrator set."""
    if kind not in SitePage.Kind.values:
        raise Http404
    page = page_of(kind)
    return render(
        request,
        "web/site_page.html",
        {
            "title": page.get_kind_display(),
            "body": body_html(page, get_language() or "fr"),
            "updated_at": page.updated_at,
        },
    )


# ---------------------------------------------------------------- colour and logo


def _branded(request: HttpRequest, slug: str) -> Organisation:
    """The organisation whose look is asked for: public when its page is published, else only
    for its members — the same 404 otherwise, so that no organisation's existence leaks."""
    from envol.leaving.services import published_page

    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        raise Http404
    if published_page(slug) is None:
        membership_for(request.user, slug)  # 404 for anyone else
    return org


def _cached(response: HttpResponse, public: bool) -> HttpResponse:
    # The URLs carry the brand's version: a new colour or logo is a new URL.
    scope = "public" if public else "private"
    response["Cache-Control"] = f"{scope}, max-age=31536000, immutable"
    return response


def brand_css(request: HttpRequest, org: str) -> HttpResponse:
    from envol.orgs.brand import brand_css as css_of

    found = _branded(request, org)
    return _cached(
        HttpResponse(css_of(found.colour), content_type="text/css; charset=utf-8"),
        public=not request.user.is_authenticated,
    )


def brand_logo(request: HttpRequest, org: str) -> HttpResponse:
    from envol.orgs.models import OrganisationLogo

    found = _branded(request, org)
    logo = OrganisationLogo.objects.filter(organisation=found).first()
    if logo is None:
        raise Http404
    return _cached(
        HttpResponse(bytes(logo.png), content_type="image/png"),
        public=not request.user.is_authenticated,
    )


# ---------------------------------------------------------------- error pages


def _error(request: HttpRequest, template: str, status: int, **context: Any) -> HttpResponse:
    return render(request, template, context, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "404.html", 404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, "403.html", 403, csrf_failed=True)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "400.html", 400)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the context processors: whatever broke (the database…) may break them
    too; the page then needs nothing but the template and the language."""
    template = loader.get_template("500.html")
    return HttpResponse(
        template.render(
            {
                "error_page_minimal": True,
                "request": request,
                "public_org": None,
                "current_org": None,
            }
        ),
        status=500,
    )
