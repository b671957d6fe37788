"""The relay forms: a new relay (source, targets, template, pacing) and its rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from envol.relays.models import Relay, SourceKind
from envol.relays.services import RULE_FIELDS, connectable_accounts


class AccountsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_network_display()} — {obj.handle}"


class NewRelayForm(forms.Form):
    source_kind = forms.ChoiceField(label=_("Source"), choices=SourceKind.choices)
    source = forms.CharField(
        label=_("Address"),
        max_length=500,
        help_text=_("A feed's URL, or an account: @name.bsky.social, @name@server.example."),
    )
    targets = AccountsField(label=_("Publish to"), queryset=Relay.objects.none())
    template = forms.CharField(
        label=_("Template"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Empty: the title (feeds) or the text, then the link. Fields: {text}, {title}, "
            "{link}, {url}, {author}, {source}."
        ),
    )
    max_per_hour = forms.IntegerField(
        label=_("At most per hour and account"), min_value=1, max_value=60, initial=4
    )
    backfill = forms.IntegerField(
        label=_("Items already published to relay now"),
        min_value=0,
        max_value=50,
        initial=0,
        help_text=_("0: only new items."),
    )

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["targets"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = organisation.accounts.filter(
            pk__in=[a.pk for a in connectable_accounts(organisation)]
        ).order_by("network", "handle")


class RulesForm(forms.ModelForm):  # type: ignore[type-arg]
    """The relay's rules and pacing, and one template field per target (`template_<pk>`)."""

    class Meta:
        model = Relay
        fields = RULE_FIELDS
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for target in self.instance.targets.select_related("account"):
            self.fields[f"template_{target.account_id}"] = forms.CharField(
                label=_("Template for %(account)s") % {"account": target.account.handle},
                required=False,
                initial=target.template,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def templates(self) -> dict[int, str]:
        prefix = "template_"
        return {
            int(name[len(prefix) :]): value or ""
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix)
        }
