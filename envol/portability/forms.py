"""The archive upload form, and the upload handler that enforces the size limit while receiving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


def upload_limit() -> int:
    return int(settings.ENVOL_UPLOAD_MAX_BYTES)


class SizeLimitHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit, so an oversized file is never
    written to disk in full (the browser's own check is only a courtesy). A request that declares
    a larger body never gets here: `envol.web.body_limit` answers it 413 first."""

    def __init__(self, request: Any = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = upload_limit() if limit is None else limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def too_large_message() -> str:
    return str(
        _("This file is larger than %(limit)s, the limit set on this server.")
        % {"limit": filesizeformat(upload_limit())}
    )


class UploadForm(forms.Form):
    archive = forms.FileField(
        label=_("Your X archive (.zip)"),
        help_text=_(
            "The file X sends you after Settings → Your account → Download an archive of your "
            "data. Maximum size: %(limit)s."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    keep_archive = forms.BooleanField(
        label=_("Keep the archive on this server after the import"),
        help_text=_("Otherwise it is deleted as soon as it has been read."),
        required=False,
    )
    keep_media = forms.BooleanField(
        label=_("Keep the photos and videos"),
        help_text=_("They can take a lot of space; the posts are imported either way."),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["archive"]
        field.help_text = str(field.help_text) % {"limit": filesizeformat(upload_limit())}
        field.widget.attrs["data-max-bytes"] = str(upload_limit())

    def clean_archive(self) -> Any:
        upload = self.cleaned_data["archive"]
        if upload.size > upload_limit():
            raise forms.ValidationError(too_large_message())
        return upload
