"""Forms for connecting accounts."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
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


class OrganisationForm(forms.ModelForm):  # type: ignore[type-arg]
    # A website typed without its scheme is https (Django 6's default, said explicitly).
    website = forms.URLField(
        label=capfirst(_("website")),
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text=_(
            "Your own domain, e.g. https://www.ville-exemple.fr: envol checks that "
            "your Bluesky handle carries it."
        ),
    )

    class Meta:
        from envol.orgs.models import Organisation

        model = Organisation
        fields = ["name", "kind", "website"]
