"""Archive imports on the web: the list, the upload, and the live progress then summary page.

The import itself runs in a worker (a job of the engine, `portability/jobs.py`); its page
refreshes itself (a meta refresh, no JavaScript needed) until the import is done or failed.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from envol.archives.errors import ArchiveError
from envol.orgs.models import Organisation, Role
from envol.orgs.services import org_view
from envol.portability import services, summary
from envol.portability.forms import SizeLimitHandler, UploadForm, too_large_message
from envol.portability.models import ArchiveImport

REFRESH_SECONDS = 2
COUNT_LABELS = {
    "following": _("Accounts followed"),
    "follower": _("Followers"),
    "block": _("Blocked accounts"),
    "mute": _("Muted accounts"),
    "tweets": _("Posts (retweets and replies included)"),
    "retweets": _("Retweets"),
    "replies": _("Replies"),
    "media": _("Photos and videos"),
    "note_tweets": _("Long posts"),
}


def _imports(request: HttpRequest) -> QuerySet[ArchiveImport]:
    return ArchiveImport.objects.filter(
        organisation=request.organisation  # type: ignore[attr-defined]
    ).select_related("source_account", "uploaded_by")


@org_view(min_role=Role.EDITOR)
def import_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portability/imports.html",
        {"org": request.organisation, "imports": _imports(request)[:100]},  # type: ignore[attr-defined]
    )


@csrf_exempt  # the size limit must be installed before the CSRF check reads the body…
@org_view(min_role=Role.EDITOR)
def upload(request: HttpRequest) -> HttpResponse:
    limit = SizeLimitHandler(request)
    request.upload_handlers.insert(0, limit)
    return _upload(request, limit)


def received_upload(
    request: HttpRequest, org: Organisation, form: UploadForm, limit: SizeLimitHandler
) -> tuple[ArchiveImport | None, int]:
    """Check a posted upload form under the size limit and store the archive: the pending
    import (due at once: a worker takes it), or None and the status to answer with the form's
    errors. Shared by the organisations' and the people's upload pages."""
    if limit.exceeded:
        form.is_valid()
        form.errors.pop("archive", None)
        form.add_error("archive", too_large_message())
        return None, 413
    if form.is_valid():
        try:
            return services.receive_upload(
                org,
                form.cleaned_data["archive"],
                uploaded_by=request.user,
                keep_archive=form.cleaned_data.get("keep_archive", False),
                keep_media=form.cleaned_data.get("keep_media", False),
            ), 200
        except ArchiveError as error:
            form.add_error("archive", error.message(get_language() or "fr"))
    return None, 400


@csrf_protect  # …so the CSRF check happens here, once the handler is in place
def _upload(request: HttpRequest, limit: SizeLimitHandler) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        archive_import, status = received_upload(request, org, form, limit)
        if archive_import is not None:  # due at once: a worker takes it
            return redirect("portability:detail", org=org.slug, pk=archive_import.pk)
    else:
        form = UploadForm()
    context = {
        "org": org,
        "form": form,
        "too_large": too_large_message(),
        "imported_accounts": summary.imported_accounts(org.pk),
    }
    return render(request, "portability/upload.html", context, status=status)


@org_view(min_role=Role.EDITOR)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    archive_import = get_object_or_404(_imports(request), pk=pk)
    language = get_language() or "fr"
    counts, added = archive_import.counts, archive_import.added
    rows = [
        (label, counts[key], added.get(key)) for key, label in COUNT_LABELS.items() if key in counts
    ]
    return render(
        request,
        "portability/detail.html",
        {
            "org": request.organisation,  # type: ignore[attr-defined]
            "archive_import": archive_import,
            "progress": services.current_progress(archive_import),
            "refresh": None if archive_import.is_finished else REFRESH_SECONDS,
            "rows": rows,
            "warnings": summary.warning_messages(archive_import, language),
            "another_account": summary.another_account_warning(archive_import),
            "error": archive_import.error_message(language),
        },
    )
