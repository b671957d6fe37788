"""Small helpers of the desk's templates: a state's badge modifier, a time in the
organisation's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from envol.publishing.compose import utc_to_local

register = template.Library()

BADGES = {
    "done": "success",
    "partial": "warning",
    "failed": "error",
    "rejected": "warning",
    "in_review": "info",
    "approved": "info",
    "scheduled": "info",
    "publishing": "info",
}


@register.filter
def state_badge(state: str) -> str:
    """The badge modifier of a post state (for `{% ui "badge sm" post.state|state_badge %}`)."""
    return BADGES.get(state, "")


@register.simple_tag
def local_time(moment: datetime | None, org: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """`moment` (UTC) as the organisation's wall-clock time."""
    if moment is None:
        return ""
    return utc_to_local(org, moment).strftime(fmt)


@register.filter
def get_value(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def state_label(state: str) -> str:
    from envol.publishing.models import POST_MACHINE

    return POST_MACHINE.label(state) if state else ""
