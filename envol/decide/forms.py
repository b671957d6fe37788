"""Forms of the decision pages. Values are checked again by the services (the CLI and CSV
share them); these only turn a request into typed values."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from envol.decide.models import NetworkChoice, OtherCost, Recommendation
from envol.decide.questions import QUESTIONS
from envol.orgs.models import Role

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), widget=DATE_INPUT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period starts after it ends."))
        return data


class CsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of hours"),
        help_text=_(
            "Columns: date, network, hours, and optionally activity, person (a member's email), "
            "note. English or French headers; comma or semicolon."
        ),
    )


class RateForm(forms.Form):
    who = forms.ChoiceField(label=_("Whose hour"))
    euros_per_hour = forms.DecimalField(
        label=_("Cost of an hour (€)"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        required=False,
        help_text=_("Empty: remove this rate."),
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["who"].choices = (  # type: ignore[attr-defined]
            [("default", _("everyone (default)"))]
            + [(f"role:{code}", label) for code, label in Role.choices]
            + people
        )


class OtherCostForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), choices=NetworkChoice.choices)
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OtherCost.Kind.choices)
    euros = forms.DecimalField(label=_("Amount (€)"), min_value=0, max_digits=10, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class MinutesForm(forms.Form):
    minutes_per_post = forms.IntegerField(
        label=_("Minutes of work per post published with envol"),
        min_value=0,
        max_value=600,
        help_text=_("Used to offer an estimate of the time spent, which the team confirms."),
    )


class WeightsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            self.fields[f"w{question.number}"] = forms.DecimalField(
                label=f"{question.number}. {question.text}",
                min_value=0,
                max_value=5,
                decimal_places=1,
            )


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DATE_INPUT)
    note = forms.CharField(label=_("General note"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            n = question.number
            self.fields[f"score{n}"] = forms.TypedChoiceField(
                label=_("Score"),
                choices=[("", _("to assess"))]
                + [(str(i), f"{i} — {words}") for i, words in enumerate(question.scale)],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[f"comment{n}"] = forms.CharField(
                label=_("Argument"), required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            self.fields[f"sources{n}"] = forms.CharField(
                label=_("Sources"),
                required=False,
                help_text=_("One web address a line."),
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def question_fields(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (q, [self[f"score{q.number}"], self[f"comment{q.number}"], self[f"sources{q.number}"]])
            for q in QUESTIONS
        ]


class DecisionForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Decision"), choices=Recommendation.choices, widget=forms.RadioSelect
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why, in a few sentences: this is what elected officials will read."),
    )


class ScenarioForm(forms.Form):
    from_network = forms.ChoiceField(label=_("Move hours from"), choices=NetworkChoice.choices)
    to_network = forms.ChoiceField(label=_("To"), choices=NetworkChoice.choices)
    hours_per_month = forms.DecimalField(
        label=_("Hours a month"), min_value=0.5, max_value=400, decimal_places=1
    )


class ReportForm(PeriodForm):
    lang = forms.ChoiceField(
        label=_("Language"), choices=[("fr", "Français"), ("en", "English")], initial="fr"
    )
