"""Numbers and durations as the reader's language writes them: 12,345 in English, 12 345 in
French; "2 hours, 5 minutes", "2 heures, 5 minutes"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def count(value: Any) -> str:
    """A whole number grouped by thousands in the current language; anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return number_format(value, force_grouping=True)


_ORIGIN = datetime(2001, 1, 1, tzinfo=UTC)  # any fixed instant: only the span is written


@register.filter
def duration(seconds: Any) -> str:
    """A span of seconds in words, its two largest units ("1 heure, 5 minutes", "1 second"),
    counted the language's way, never "1 secondes"; empty for no value."""
    if seconds is None or seconds == "":
        return ""
    whole = max(round(float(seconds)), 0)
    if whole < 60:
        return ngettext("%(n)d second", "%(n)d seconds", whole) % {"n": whole}
    return timesince(_ORIGIN, _ORIGIN + timedelta(seconds=whole), depth=2)
