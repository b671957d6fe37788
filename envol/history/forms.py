"""The archive site's settings, as an admin chooses them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from envol.orgs.models import ConnectedAccount
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


class MoveForm(forms.Form):
    """What a history migration takes: own posts and self-threads by default."""

    archive_import = ImportChoiceField(
        label=_("Archive import"), queryset=ArchiveImport.objects.none(), empty_label=None
    )
    account = forms.ModelChoiceField(
        label=_("Bluesky account"), queryset=ConnectedAccount.objects.none(), empty_label=None
    )
    since = forms.DateField(
        label=_("From (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    replies = forms.BooleanField(label=_("Also replies to others"), required=False)
    retweets = forms.BooleanField(label=_("Also retweets"), required=False)
    hashtag = forms.CharField(label=_("Only with this hashtag"), required=False, max_length=100)

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        imports = self.fields["archive_import"]
        accounts = self.fields["account"]
        assert isinstance(imports, forms.ModelChoiceField)
        assert isinstance(accounts, forms.ModelChoiceField)
        imports.queryset = ArchiveImport.objects.filter(
            organisation=organisation,
            state=ArchiveImport.State.DONE,
            source_account__isnull=False,
        ).select_related("source_account")
        accounts.queryset = ConnectedAccount.objects.filter(
            organisation=organisation, network="bluesky"
        )
