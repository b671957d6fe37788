"""Forms for connecting accounts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _


class BlueskyConnectForm(forms.Form):
    handle = forms.CharField(
        label=_("Bluesky handle"),
        help_text=_("For example ville-exemple.fr or ville-exemple.bsky.social"),
        max_length=253,
    )
    app_password = forms.CharField(
        label=_("App password"),
        help_text=_(
            "Create one in Bluesky: Settings → Privacy and security → App passwords. "
            "Never type your main password here."
        ),
        widget=forms.PasswordInput(render_value=False),
        max_length=100,
    )
    service = forms.CharField(
        label=_("Server"),
        help_text=_("Leave as is unless your account lives on its own server (PDS)."),
        max_length=255,
        required=False,
    )

    def clean_handle(self) -> str:
        return str(self.cleaned_data["handle"]).strip().lstrip("@").lower()


class MastodonConnectForm(forms.Form):
    instance = forms.CharField(
        label=_("Mastodon server"),
        help_text=_("The address of your account's server, for example social.numerique.gouv.fr"),
        max_length=255,
    )


def _https_by_default(db_field: Any, **kwargs: Any) -> Any:
    """Model form fields, where a web address typed without its scheme is https (Django 6's
    default, said now)."""
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class OrganisationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        from envol.orgs.models import Organisation

        model = Organisation
        fields = ["name", "kind", "website"]
        formfield_callback = _https_by_default
        help_texts = {
            "website": _(
                "Your own domain, e.g. https://www.ville-exemple.fr: envol checks that "
                "your Bluesky handle carries it."
            ),
        }


class BrandForm(forms.Form):
    """The organisation's colour and logo, checked here (contrast, image) before saving."""

    colour = forms.CharField(
        label=_("Colour"),
        required=False,
        max_length=7,
        help_text=_(
            "Of the header of your public page and of this back office, as # and six "
            "hexadecimal digits (e.g. #1b4f72). White text must be readable on it: a light "
            "colour is refused. Empty: envol's colour."
        ),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, up to 1 MB, at least 16 pixels a side; no SVG."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_colour(self) -> str:
        from envol.orgs.brand import clean_colour

        return clean_colour(self.cleaned_data.get("colour") or "")

    def clean_logo(self) -> bytes | None:
        from envol.orgs.brand import clean_logo

        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        return clean_logo(upload, upload.size)
