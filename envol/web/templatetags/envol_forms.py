"""Accessible form widgets for the State design system: classes, and errors linked to fields."""

from __future__ import annotations

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()

_CLASS_BY_WIDGET: list[tuple[type[forms.Widget], str]] = [
    (forms.Select, "fr-select"),
    (forms.CheckboxInput, ""),
    (forms.ClearableFileInput, "fr-upload"),
    (forms.FileInput, "fr-upload"),
    (forms.Widget, "fr-input"),
]


@register.filter
def dsfr_widget(field: forms.BoundField) -> SafeString:
    """Render the widget with the design system's class; when the field has errors, mark it
    invalid and point `aria-describedby` at the error text (`<id>-errors`)."""
    widget = field.field.widget
    css = next(c for cls, c in _CLASS_BY_WIDGET if isinstance(widget, cls))
    attrs: dict[str, str | bool] = {}
    existing = widget.attrs.get("class", "")
    if css:
        attrs["class"] = f"{existing} {css}".strip()
    described = []
    if field.help_text:
        described.append(f"{field.id_for_label}-hint")
    if field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{field.id_for_label}-errors")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
