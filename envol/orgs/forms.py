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
