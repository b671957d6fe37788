"""Numbers as the reader's language writes them: 12,345 in English, 12 345 in French."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def count(value: Any) -> str:
    """A whole number grouped by thousands in the current language; anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return number_format(value, force_grouping=True)
