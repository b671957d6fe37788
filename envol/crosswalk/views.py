"""Review pages: the matches of the organisation's own imports, exports, own links and consent.

The crosswalk itself is never listed through the web: every query starts from the
organisation (its imports' matches, its own accounts' links)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from envol.crosswalk import services, sources
from envol.crosswalk.exports import ExportError, export
from envol.crosswalk.matching import compute_matches
from envol.crosswalk.models import Band, Decision, IdentityLink, LinkNetwork, Match
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import org_view
from envol.portability.models import ArchiveImport

PAGE_SIZE = 50
FILTERS = ("network", "band", "source", "decision")


def _imports(request: HttpRequest) -> QuerySet[ArchiveImport]:
    return ArchiveImport.objects.filter(
        organisation=request.organisation,  # type: ignore[attr-defined]
        source_account__isnull=False,
    ).order_by("-created_at")


def _selected_import(request: HttpRequest) -> ArchiveImport | None:
    imports = _imports(request)
    wanted = request.GET.get("import") or request.POST.get("import")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        return get_object_or_404(imports, pk=int(wanted))
    return imports.first()


@org_view(min_role=Role.VIEWER)
def match_list(request: HttpRequest) -> HttpResponse:
    archive = _selected_import(request)
    chosen = {f: request.GET.get(f, "") for f in FILTERS}
    matches = Match.objects.none()
    counts: dict[str, int] = {}
    sources_seen: list[str] = []
    if archive is not None:
        scoped = Match.objects.filter(archive_import=archive)
        if chosen["network"]:
            scoped = scoped.filter(network=chosen["network"])
        counts = dict(scoped.values_list("band").annotate(n=Count("id")).values_list("band", "n"))
        sources_seen = sorted(set(scoped.values_list("source", flat=True).distinct()))
        matches = scoped
        for name in ("band", "source", "decision"):
            if chosen[name]:
                matches = matches.filter(**{name: chosen[name]})
        matches = matches.order_by("-confidence", "x_id", "network")
    page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {k: v for k, v in chosen.items() if v} | ({"import": archive.pk} if archive else {})
    )
    return render(
        request,
        "crosswalk/matches.html",
        {
            "org": request.organisation,  # type: ignore[attr-defined]
            "imports": _imports(request),
            "archive": archive,
            "chosen": chosen,
            "page": page,
            "query": query,
            "bands": [(b, label, counts.get(b, 0)) for b, label in Band.choices],
            "networks": LinkNetwork.choices,
            "decisions": Decision.choices,
            "sources": sources_seen,
            "can_decide": request.membership.can(Role.REVIEWER),  # type: ignore[attr-defined]
            "can_compute": request.membership.can(Role.EDITOR),  # type: ignore[attr-defined]
        },
    )


def _back_to_list(request: HttpRequest, archive: ArchiveImport, **chosen: str) -> HttpResponse:
    """The list again, with the filters the form carried (never a URL taken from the form)."""
    kept = {f: request.POST.get(f, "") for f in (*FILTERS, "page")} | chosen
    query = urlencode({"import": archive.pk} | {k: v for k, v in kept.items() if v})
    org = request.organisation  # type: ignore[attr-defined]
    return redirect(f"{reverse('crosswalk:matches', kwargs={'org': org.slug})}?{query}")


@org_view(min_role=Role.REVIEWER)
@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    archive = _selected_import(request)
    action = request.POST.get("action")
    decision = {"accept": Decision.ACCEPTED, "reject": Decision.REJECTED}.get(action or "")
    ids = [int(i) for i in request.POST.getlist("match") if i.isdigit()]
    if archive is None or decision is None:
        raise Http404
    if not ids:
        messages.info(request, _("Select at least one match."))
    else:
        owned = list(
            Match.objects.filter(archive_import=archive, pk__in=ids).values_list("pk", flat=True)
        )
        changed = services.decide(request.organisation, owned, decision, request.user)  # type: ignore[attr-defined]
        messages.success(
            request,
            ngettext("%(n)d match updated.", "%(n)d matches updated.", changed) % {"n": changed},
        )
    return _back_to_list(request, archive)


@org_view(min_role=Role.EDITOR)
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    archive = _selected_import(request)
    network = request.POST.get("network", "")
    kind = request.POST.get("kind", "following")
    if (
        archive is None
        or network not in LinkNetwork.values
        or kind not in ("following", "follower")
    ):
        raise Http404
    summary = compute_matches(archive, network, kind)
    messages.success(
        request,
        ngettext(
            "%(matched)d of %(relations)d accounts matched on %(network)s.",
            "%(matched)d of %(relations)d accounts matched on %(network)s.",
            summary.matched,
        )
        % {
            "matched": summary.matched,
            "relations": summary.relations,
            "network": LinkNetwork(network).label,  # "Bluesky", not "bluesky"
        },
    )
    return _back_to_list(request, archive, network=network)


@org_view(min_role=Role.VIEWER)
def download(request: HttpRequest) -> HttpResponse:
    archive = _selected_import(request)
    if archive is None:
        raise Http404
    try:
        content, media_type, name = export(
            archive, request.GET.get("network", ""), request.GET.get("format", "")
        )
    except ExportError:
        raise Http404 from None
    response = HttpResponse(content, content_type=f"{media_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_view(min_role=Role.VIEWER)
def own_links(request: HttpRequest) -> HttpResponse:
    """The links that concern this organisation: its own accounts, shared or not."""
    org = request.organisation  # type: ignore[attr-defined]
    accounts = ConnectedAccount.objects.filter(
        organisation=org, network__in=LinkNetwork.values
    ).select_related("self_link_consent")
    shared = IdentityLink.objects.asserted_by("self", org.pk)
    return render(
        request,
        "crosswalk/own_links.html",
        {
            "org": org,
            "accounts": [
                (a, getattr(getattr(a, "self_link_consent", None), "shared", False))
                for a in accounts
            ],
            "shared": shared,
            "x_account": sources.own_x_account(accounts[0]) if accounts else None,
            "can_change": request.membership.can(Role.ADMIN),  # type: ignore[attr-defined]
        },
    )


@org_view(min_role=Role.ADMIN)
@require_POST
def consent(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    account_id = request.POST.get("account", "")
    if not account_id.isdigit():
        raise Http404
    account = get_object_or_404(ConnectedAccount, organisation=org, pk=int(account_id))
    shared = request.POST.get("shared") == "on"
    linked = sources.set_self_link_consent(account, shared, request.user)
    if shared and not linked:
        messages.info(
            request,
            _(
                "Consent saved; the link will appear once an X archive is imported "
                "and the account's identity is known."
            ),
        )
    elif shared:
        messages.success(request, _("The link between your accounts is shared with this instance."))
    else:
        messages.success(request, _("The link between your accounts is no longer shared."))
    return redirect("crosswalk:own_links", org=org.slug)
