"""The insights' actions on the web: importing an analytics export (editors) — the upload, and
the form that assigns its columns by hand when envol does not know them — and pausing or
resuming an account's readings (admins). The reading pages are in `pages.py`."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from envol.insights import services, snapshots, texts
from envol.insights.exports import columns as cols
from envol.insights.exports.parse import ExportError, Mapping
from envol.insights.exports.readers import MAX_BYTES
from envol.insights.models import Channel, MetricChoice, PlatformChoice, SnapshotJob
from envol.orgs.models import Role
from envol.orgs.services import org_view

PENDING_TTL = 24 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}$")
FIELD_LABELS = {
    cols.POST_ID: gettext_lazy("post id or link"),
    cols.DATE: gettext_lazy("date"),
    cols.TEXT: gettext_lazy("text"),
    cols.URL: gettext_lazy("link"),
    cols.POST_TYPE: gettext_lazy("post type"),
    cols.ACCOUNT: gettext_lazy("page or account"),
    cols.VALUE: gettext_lazy("value"),
}


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Analytics export (CSV, .xls, .xlsx)"))
    platform = forms.ChoiceField(
        label=gettext_lazy("Platform"),
        choices=[("auto", gettext_lazy("Detect it"))]
        + [(p, label) for p, label in PlatformChoice.choices if p not in ("bluesky", "mastodon")],
        initial="auto",
    )


def _pending_dir(org_id: int) -> Path:
    folder = Path(settings.DATA_DIR) / "insights-uploads" / str(org_id)
    folder.mkdir(parents=True, exist_ok=True)
    # Files never mapped are forgotten after a day. Their times are the file system's clock:
    # "now" is read from it too (a touched marker), never from the process, whose clock may
    # differ (a network mount, or the test suite's faked clock).
    marker = folder / ".now"
    marker.touch()
    now = marker.stat().st_mtime
    for old in folder.iterdir():
        if old != marker and old.stat().st_mtime < now - PENDING_TTL:
            old.unlink(missing_ok=True)
    return folder


@org_view(min_role=Role.EDITOR)
def upload(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        if uploaded.size > MAX_BYTES:
            form.add_error("file", _("This file is too large for an analytics export."))
        else:
            token = uuid.uuid4().hex
            stored = _pending_dir(org.pk) / token
            with stored.open("wb") as out:
                for chunk in uploaded.chunks():
                    out.write(chunk)
            (_pending_dir(org.pk) / f"{token}.name").write_text(uploaded.name[:200])
            return _import(request, token, form.cleaned_data["platform"], None)
    return render(request, "insights/upload.html", {"org": org, "form": form})


@org_view(min_role=Role.EDITOR)
@require_POST
def assign_columns(request: HttpRequest) -> HttpResponse:
    """The mapping form's answer: the file kind and, per envol field, the file's header."""
    token = request.POST.get("token", "")
    if not TOKEN.match(token):
        raise Http404
    kind = cols.BY_NAME.get(request.POST.get("file_kind", ""))
    if kind is None:
        raise Http404
    if "choose_kind" in request.POST:
        return _import(request, token, request.POST.get("platform", "auto"), None, kind=kind)
    columns = {c.field: request.POST.get(f"col_{c.field}", "") for c in kind.columns}
    mapping = Mapping(kind.name, {f: h for f, h in columns.items() if h})
    return _import(request, token, request.POST.get("platform", "auto"), mapping, kind=kind)


def _import(
    request: HttpRequest,
    token: str,
    platform: str,
    mapping: Mapping | None,
    kind: cols.FileKind | None = None,
) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    folder = _pending_dir(org.pk)
    stored = folder / token
    if not stored.is_file():
        raise Http404
    name_file = folder / f"{token}.name"
    name = name_file.read_text() if name_file.is_file() else token
    try:
        if kind is not None and mapping is None:
            raise ExportError(_("Assign the columns of %(file)s.") % {"file": name})
        done = services.import_export(
            org, stored, file_name=name, platform=platform, mapping=mapping, actor=request.user
        )
    except ExportError as exc:
        headers = exc.headers or _headers_of(stored, name)
        return _mapping_form(request, token, platform, str(exc), headers, kind or exc.candidate)
    stored.unlink(missing_ok=True)
    name_file.unlink(missing_ok=True)
    messages.success(
        request,
        texts.FILE_IMPORTED
        % {"file": name, "counts": texts.row_counts(done.rows, done.new, done.updated)},
    )
    return redirect("insights:index", org=org.slug)


def _headers_of(path: Path, name: str) -> list[str]:
    from envol.insights.exports.parse import header_signature
    from envol.insights.exports.readers import ReadError, read_tables

    try:
        tables = read_tables(path, name)
    except ReadError:
        return []
    return header_signature(tables[0])[1] if tables else []


def _mapping_form(
    request: HttpRequest,
    token: str,
    platform: str,
    error: str,
    headers: list[str],
    kind: cols.FileKind | None,
) -> HttpResponse:
    if not headers:  # not even a table: nothing to map, nothing kept
        (_pending_dir(request.organisation.pk) / token).unlink(missing_ok=True)  # type: ignore[attr-defined]
    kinds = [k for k in cols.FILE_KINDS if platform in ("auto", "") or platform in k.platforms]
    kind = kind or (kinds[0] if kinds else cols.FILE_KINDS[0])
    labels = dict(MetricChoice.choices) | FIELD_LABELS
    fields: list[dict[str, Any]] = [
        {
            "name": c.field,
            "label": labels.get(c.field, c.field),
            "required": c.required,
            "expected": " / ".join(dict.fromkeys((*c.en[:1], *c.fr[:1]))),
        }
        for c in kind.columns
    ]
    return render(
        request,
        "insights/mapping.html",
        {
            "org": request.organisation,  # type: ignore[attr-defined]
            "error": error,
            "token": token,
            "platform": platform,
            "kinds": kinds,
            "kind": kind,
            "fields": fields,
            "headers": headers,
        },
        status=400 if headers else 422,
    )


READINGS_ACTIONS = {"pause": snapshots.pause_readings, "resume": snapshots.resume_readings}


@org_view(min_role=Role.ADMIN)
@require_POST
def readings(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Pause or resume the daily readings of a connected account, from its channel's page."""
    org = request.organisation  # type: ignore[attr-defined]
    channel = get_object_or_404(
        Channel, pk=channel_id, organisation=org, connected_account__isnull=False
    )
    job = get_object_or_404(SnapshotJob, account_id=channel.connected_account_id)
    action = READINGS_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    try:
        action(job, request.user)
    except snapshots.ReadingsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Readings paused.")
            if job.state == SnapshotJob.State.PAUSED
            else _("Readings resumed."),
        )
    return redirect("insights:channel", org=org.slug, channel_id=channel.pk)
