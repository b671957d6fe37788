"""The few questions a person is asked, in plain words."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from envol.crosswalk.models import ConsentLevel

LEVEL_HELP = {
    ConsentLevel.PRIVATE: _("Nobody else finds you through envol. You can change this later."),
    ConsentLevel.FOLLOWERS: _(
        "The people who followed you on X and bring their archive here see where you are now."
    ),
    ConsentLevel.PUBLIC: _(
        "Also shared with the other envol instances, so that the people who followed you on X "
        "find you wherever they use envol."
    ),
}


class BlueskySignInForm(forms.Form):
    handle = forms.CharField(
        label=_("Your Bluesky handle"),
        help_text=_("For example alice.bsky.social. You then confirm on Bluesky's own page."),
        max_length=253,
    )


class MastodonSignInForm(forms.Form):
    server = forms.CharField(
        label=_("Your Mastodon server"),
        help_text=_("For example mastodon.social. You then confirm on your server's own page."),
        max_length=253,
    )


class ConsentForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Who may find you through the link between your X account and this account?"),
        choices=ConsentLevel.choices,
        widget=forms.RadioSelect,
        initial=ConsentLevel.FOLLOWERS,
    )


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), required=False)
    weekly_digest = forms.BooleanField(
        label=_("Email me once a week when people I followed on X arrive"), required=False
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("weekly_digest") and not data.get("email"):
            self.add_error("email", _("Give an address to receive the weekly email."))
        return data


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that everything envol holds about me will be deleted, for good"),
        required=True,
    )
