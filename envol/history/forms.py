"""The archive site's settings, as an admin chooses them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from envol.portability.models import ArchiveImport


class ImportChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _("Import %(id)s — @%(user)s, %(file)s") % {
            "id": obj.pk,
            "user": obj.source_account.username if obj.source_account else "",
            "file": obj.file_name,
        }


class SiteForm(forms.Form):
    archive_import = ImportChoiceField(
        label=_("Archive import"), queryset=ArchiveImport.objects.none(), empty_label=None
    )
    lang = forms.ChoiceField(
        label=_("Language of the site"), choices=[("fr", "Français"), ("en", "English")]
    )
    colour = forms.CharField(
        label=_("Colour"),
        max_length=7,
        help_text=_("Written #rrggbb. A colour too light for text is darkened until it reads."),
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Write the colour as #rrggbb."))],
        widget=forms.TextInput(attrs={"type": "color"}),
    )

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["archive_import"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ArchiveImport.objects.filter(
            organisation=organisation,
            state=ArchiveImport.State.DONE,
            source_account__isnull=False,
        ).select_related("source_account")
