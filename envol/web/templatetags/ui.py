"""`{% ui "button secondary" %}`: the current theme's classes for a component and its modifiers,
so that page templates stay the same whatever the theme (see envol/web/themes/)."""

from __future__ import annotations

from django import template
from django.conf import settings

from envol.web import themes

register = template.Library()


@register.simple_tag
def ui(*names: str) -> str:
    """Words are joined, so a modifier may come from a variable: `{% ui "badge sm" state %}`."""
    return themes.classes(settings.ENVOL_THEME, " ".join(str(n) for n in names if n))
