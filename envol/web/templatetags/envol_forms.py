"""Accessible form widgets in the current theme: its classes, and errors linked to fields."""

from __future__ import annotations

from django import forms, template
from django.conf import settings
from django.utils.safestring import SafeString

from envol.web import themes

register = template.Library()

_COMPONENT_BY_WIDGET: list[tuple[type[forms.Widget], str]] = [
    (forms.CheckboxInput, ""),
    (forms.CheckboxSelectMultiple, ""),
    (forms.Select, "select"),
    (forms.ClearableFileInput, "upload"),
    (forms.FileInput, "upload"),
    (forms.Widget, "input"),
]


@register.filter
def ui_widget(field: forms.BoundField) -> SafeString:
    """Render the widget with the theme's class; when the field has errors, mark it invalid
    and point `aria-describedby` at the error text (`<id>-errors`), and at the hint
    (`<id>-hint`) when there is one."""
    widget = field.field.widget
    component = next(c for cls, c in _COMPONENT_BY_WIDGET if isinstance(widget, cls))
    attrs: dict[str, str | bool] = {}
    if component:
        existing = widget.attrs.get("class", "")
        css = themes.classes(settings.ENVOL_THEME, component)
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


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multiple_choice(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect)
