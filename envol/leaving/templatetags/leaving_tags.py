"""Template helpers for the leaving pages: the dashboard checklist summary, dict lookups."""

from __future__ import annotations

from typing import Any

from django import template

from envol.leaving.services import ChecklistSummary, checklist_summary
from envol.orgs.models import Organisation

register = template.Library()


@register.simple_tag
def leaving_summary(org: Organisation) -> ChecklistSummary:
    return checklist_summary(org)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """`mapping[key]`, or None: templates cannot index a dict with a variable."""
    return mapping.get(key)
