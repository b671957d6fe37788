"""Forms of the leaving pages. Links accept http(s) only: they are shown to the public."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from envol.leaving.models import PublicLink, PublicPage

_WEB_ONLY = URLValidator(schemes=["http", "https"])


class PublicPageForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PublicPage
        fields = ["published", "intro_fr", "intro_en", "show_connected_accounts"]
        widgets = {
            "intro_fr": forms.Textarea(attrs={"rows": 4}),
            "intro_en": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "intro_fr": _("Plain text, up to 1,000 characters; line breaks are kept."),
            "intro_en": _("Plain text, up to 1,000 characters; line breaks are kept."),
        }


class PublicLinkForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(
        label=_("Address (URL)"), max_length=500, validators=[_WEB_ONLY], assume_scheme="https"
    )

    class Meta:
        model = PublicLink
        fields = ["network", "handle", "url", "order", "shown"]


class AnnouncementForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    lang = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False, strip=False)


class StarterPackForm(forms.Form):
    account = forms.ChoiceField(label=_("Bluesky account"))
    name = forms.CharField(label=_("Name"), max_length=50)
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    members = forms.MultipleChoiceField(
        label=_("Accounts in the pack"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(
        self,
        *args: Any,
        accounts: list[tuple[str, str]],
        candidates: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["account"]).choices = accounts
        cast(forms.MultipleChoiceField, self.fields["members"]).choices = candidates
