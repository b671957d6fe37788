"""`{% relay_summary org as summary %}`: the dashboard's relays panel (counts, kill switch)."""

from __future__ import annotations

from typing import Any

from django import template

from envol.relays import services

register = template.Library()


@register.simple_tag
def relay_summary(org: Any) -> services.Summary:
    return services.summary(org)
