"""Figures of the decision pages: unknown is a dash (never 0), numbers grouped the reader's way."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def figure(value: Any, decimals: int = 0) -> str:
    """None → "—"; 1234.5 → "1 235" (fr) or "1,235" (en); `decimals` after the mark."""
    if value is None or value == "":
        return "—"
    number = float(value)
    places = int(decimals)
    if places == 0:
        return number_format(round(number), force_grouping=True)
    return number_format(round(number, places), places, force_grouping=True)


@register.filter
def per_hour(network: Any, name: str) -> Any:
    return network.per_hour(name)


@register.filter
def cost_per(network: Any, name: str) -> Any:
    return network.cost_per(name)


@register.filter
def per_100(network: Any, name: str) -> Any:
    return network.per_100_euros(name)


@register.filter
def kind_of(network: Any, name: str) -> str:
    return str(network.kinds.get(name, ""))
