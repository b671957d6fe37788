"""Web pages of the follow migration: estimate and start, follow the progress (a meta refresh,
no JavaScript needed), pause, resume, cancel, download the final report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envol.migration import services
from envol.migration.models import MigrationJob
from envol.networks.base import NetworkError
from envol.orgs.accounts import AccountError
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import org_view
from envol.portability.models import ArchiveImport

REFRESH_SECONDS = 5
ACTIONS = {"pause": services.pause, "resume": services.resume, "cancel": services.cancel}


def _imports(request: HttpRequest) -> QuerySet[ArchiveImport]:
    return ArchiveImport.objects.filter(
        organisation=request.organisation,  # type: ignore[attr-defined]
        source_account__isnull=False,
    ).order_by("-created_at")


def _accounts(request: HttpRequest) -> QuerySet[ConnectedAccount]:
    return ConnectedAccount.objects.filter(
        organisation=request.organisation,  # type: ignore[attr-defined]
        network__in=services.NETWORKS,
    ).order_by("network", "handle")


def _chosen(request: HttpRequest) -> tuple[ArchiveImport | None, ConnectedAccount | None]:
    data = request.POST if request.method == "POST" else request.GET
    archive = account = None
    if data.get("import", "").isdigit():
        archive = get_object_or_404(_imports(request), pk=int(data["import"]))
    if data.get("account", "").isdigit():
        account = get_object_or_404(_accounts(request), pk=int(data["account"]))
    return archive, account


@org_view(min_role=Role.VIEWER)
def index(request: HttpRequest) -> HttpResponse:
    """The jobs, and the form to estimate then start one (the estimate reads the own follows)."""
    org = request.organisation  # type: ignore[attr-defined]
    archive, account = _chosen(request)
    estimate = None
    if archive is not None and account is not None and request.GET.get("estimate"):
        try:
            estimate = services.dry_run(org, archive.pk, account, account.network)
        except (services.MigrationError, AccountError) as exc:
            messages.error(request, str(exc))
        except NetworkError as exc:
            messages.error(request, _("The network did not answer: %(e)s") % {"e": exc})
    context: dict[str, Any] = {
        "org": org,
        "jobs": MigrationJob.objects.filter(organisation=org).select_related("account")[:50],
        "imports": _imports(request),
        "accounts": _accounts(request),
        "archive": archive,
        "account": account,
        "estimate": estimate,
        "can_edit": request.membership.can(Role.EDITOR),  # type: ignore[attr-defined]
    }
    return render(request, "migration/index.html", context)


@org_view(min_role=Role.EDITOR)
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    archive, account = _chosen(request)
    if archive is None or account is None:
        raise Http404
    try:
        job = services.create_job(org, archive.pk, account, account.network, actor=request.user)
    except services.MigrationError as exc:
        messages.error(request, str(exc))
        return redirect("migration:index", org=org.slug)
    services.start(job)
    messages.success(request, _("The migration has started."))
    return redirect("migration:detail", org=org.slug, job_id=job.pk)


def _job(request: HttpRequest, job_id: int) -> MigrationJob:
    return get_object_or_404(
        MigrationJob.objects.select_related("account", "archive_import"),
        pk=job_id,
        organisation=request.organisation,  # type: ignore[attr-defined]
    )


@org_view(min_role=Role.VIEWER)
def detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(
        request,
        "migration/detail.html",
        {
            "org": request.organisation,  # type: ignore[attr-defined]
            "job": job,
            "refresh": REFRESH_SECONDS if job.is_active else None,
            "eta_seconds": services.eta_seconds(job) if job.is_active else None,
            "can_edit": request.membership.can(Role.EDITOR),  # type: ignore[attr-defined]
            "mastodon_csv": _mastodon_csv_url(request, job),
        },
    )


def _mastodon_csv_url(request: HttpRequest, job: MigrationJob) -> str:
    if job.network != "mastodon":
        return ""
    org = request.organisation  # type: ignore[attr-defined]
    base = reverse("crosswalk:export", kwargs={"org": org.slug})
    return f"{base}?import={job.archive_import_id}&network=mastodon&format=mastodon-csv"


@org_view(min_role=Role.EDITOR)
@require_POST
def change(request: HttpRequest, job_id: int, action: str) -> HttpResponse:
    job = _job(request, job_id)
    operation = ACTIONS.get(action)
    if operation is None:
        raise Http404
    try:
        operation(job, request.user)
    except services.MigrationError as exc:
        messages.error(request, str(exc))
    return redirect("migration:detail", org=job.organisation.slug, job_id=job.pk)


@org_view(min_role=Role.VIEWER)
def report(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    response = HttpResponse(services.report_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="migration-{job.pk}.csv"'
    return response
