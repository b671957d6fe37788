"""Pages of the leaving app: the public "where to find us" page, and the organisation's tools to
prepare it, announce the move, build the starter pack, check the handle and follow the checklist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envol.leaving import services
from envol.leaving.forms import AnnouncementForm, PublicLinkForm, PublicPageForm, StarterPackForm
from envol.leaving.handle_check import domain_of
from envol.leaving.models import ChecklistStep, PublicLink, StarterPack
from envol.leaving.tasks import sync_starter_pack_task
from envol.orgs.models import Role
from envol.orgs.services import org_view


def _org(request: HttpRequest) -> Any:
    return request.organisation  # type: ignore[attr-defined]


# ---------------------------------------------------------------- public


def public_page(request: HttpRequest, public_slug: str) -> HttpResponse:
    """/<slug>/: no login; 404 for unknown, reserved or unpublished pages alike."""
    page = services.published_page(public_slug)
    if page is None:
        raise Http404
    org = page.organisation
    lang = translation.get_language() or "fr"
    channels = [
        {"channel": c, "qr": services.qr_svg(c.url, _("QR code to %(what)s") % {"what": c.label})}
        for c in services.channels(org, page)
    ]
    url = services.public_url(org)
    return render(
        request,
        "leaving/public_page.html",
        {
            "org": org,
            "public_org": org,  # the page frame shows this organisation's name, logo, colour
            "page": page,
            "intro": page.intro(lang),
            "channels": channels,
            "page_url": url,
            "page_qr": services.qr_svg(url, _("QR code to this page")),
            "starter_pack": services.latest_starter_pack(org),
            "description": _("Where to find %(name)s now that it has left X.") % {"name": org.name},
        },
    )


# ---------------------------------------------------------------- organisation tools


@org_view(min_role=Role.VIEWER)
def index(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    return render(
        request,
        "leaving/index.html",
        {
            "org": org,
            "page": services.page_of(org),
            "page_url": services.public_url(org),
            "summary": services.checklist_summary(org),
        },
    )


@org_view(min_role=Role.EDITOR)
def page_edit(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    page = services.page_of(org)
    form = PublicPageForm(request.POST or None, instance=page, prefix="page")
    link_form = PublicLinkForm(prefix="link")
    if request.method == "POST" and form.is_valid():
        services.save_page(form.save(commit=False), request.user, form.changed_data)
        messages.success(request, _("The public page is saved."))
        return redirect("leaving:page", org=org.slug)
    return render(
        request,
        "leaving/page_edit.html",
        {
            "org": org,
            "form": form,
            "link_form": link_form,
            "links": org.public_links.all(),
            "page_url": services.public_url(org),
        },
    )


@org_view(min_role=Role.EDITOR)
def link_edit(request: HttpRequest, link_id: int | None = None) -> HttpResponse:
    org = _org(request)
    link = get_object_or_404(PublicLink, pk=link_id, organisation=org) if link_id else None
    form = PublicLinkForm(request.POST or None, instance=link, prefix="link")
    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        row.organisation = org
        services.save_link(row, request.user)
        messages.success(request, _("The link is saved."))
        return redirect("leaving:page", org=org.slug)
    return render(
        request,
        "web/form_page.html",
        {"form": form, "title": _("Link on the public page"), "submit_label": _("Save")},
    )


@org_view(min_role=Role.EDITOR)
@require_POST
def link_delete(request: HttpRequest, link_id: int) -> HttpResponse:
    org = _org(request)
    services.delete_link(get_object_or_404(PublicLink, pk=link_id, organisation=org), request.user)
    messages.success(request, _("The link is removed."))
    return redirect("leaving:page", org=org.slug)


@org_view(min_role=Role.EDITOR)
def announce(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    lang = request.GET.get("lang") or request.POST.get("lang") or "fr"
    if lang not in services.LANGS:
        lang = "fr"
    if request.method == "POST":
        form = AnnouncementForm(request.POST)
        if form.is_valid():
            try:
                services.save_announcement(
                    org, lang, form.cleaned_data["kind"], form.cleaned_data["text"], request.user
                )
            except services.LeavingError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The text is saved."))
        return redirect(f"{request.path}?lang={lang}")
    return render(
        request,
        "leaving/announce.html",
        {
            "org": org,
            "lang": lang,
            "kit": services.announcement_kit(org, lang),
            "publishing_available": services.publishing_available(),
            "published": services.announcement_posts(org, lang),
        },
    )


@org_view(min_role=Role.EDITOR)
@require_POST
def publish_announcement(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    lang = request.POST.get("lang", "fr")
    if lang not in services.LANGS:
        lang = "fr"
    try:
        services.publish_announcement(org, lang, request.POST.get("kind", ""), request.user)
    except services.LeavingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The announcement is being published; this page shows when it is online.")
        )
    return redirect(f"{reverse('leaving:announce', kwargs={'org': org.slug})}?lang={lang}")


@org_view(min_role=Role.EDITOR)
def checklist(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in ChecklistStep.values:
            raise Http404
        services.tick(org, step, request.POST.get("done") == "1", request.user)
        messages.success(request, _("The checklist is updated."))
        return redirect("leaving:checklist", org=org.slug)
    return render(
        request, "leaving/checklist.html", {"org": org, "summary": services.checklist_summary(org)}
    )


@org_view(min_role=Role.EDITOR)
def handle(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    checks = services.domain_handle_checks(org) if request.method == "POST" else None
    return render(
        request,
        "leaving/handle.html",
        {"org": org, "checks": checks, "domain": domain_of(org.website)},
    )


def _candidates(
    request: HttpRequest, org: Any
) -> tuple[int | None, list[services.SelectedAccount], str]:
    raw = request.GET.get("import") or request.POST.get("import") or ""
    if not raw.isdigit():
        return None, [], ""
    try:
        return int(raw), services.accepted_matches(org, int(raw)), ""
    except services.LeavingError as exc:
        return int(raw), [], str(exc)


@org_view(min_role=Role.EDITOR)
def starter_pack(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    import_id, candidates, problem = _candidates(request, org)
    form = StarterPackForm(
        request.POST or None,
        accounts=[(str(a.pk), a.handle) for a in services.bluesky_accounts(org)],
        candidates=[(c.key, c.label) for c in candidates if c.bluesky_did],
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["members"])
        account = org.accounts.get(pk=int(form.cleaned_data["account"]))
        pack = services.set_starter_pack(
            org,
            account,
            form.cleaned_data["name"],
            form.cleaned_data["description"],
            [c for c in candidates if c.key in chosen],
            request.user,
        )
        sync_starter_pack_task.enqueue(pack.pk)
        messages.success(
            request, _("The starter pack will be created or updated on Bluesky shortly.")
        )
        return redirect("leaving:starter_pack", org=org.slug)
    return render(
        request,
        "leaving/starter_pack.html",
        {
            "org": org,
            "form": form,
            "import_id": import_id,
            "problem": problem,
            "imports": org.archive_imports.order_by("-created_at")[:20],
            "packs": StarterPack.objects.filter(organisation=org).select_related("account"),
        },
    )


@org_view(min_role=Role.EDITOR)
def mastodon_csv(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    import_id, candidates, problem = _candidates(request, org)
    if import_id is None or problem:
        raise Http404
    response = HttpResponse(
        services.mastodon_follow_csv(candidates), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="mastodon-follows-{org.slug}.csv"'
    return response
