"""`{% leaving_summary org as summary %}`: the checklist summary for the dashboard panel."""

from __future__ import annotations

from django import template

from envol.leaving.services import ChecklistSummary, checklist_summary
from envol.orgs.models import Organisation

register = template.Library()


@register.simple_tag
def leaving_summary(org: Organisation) -> ChecklistSummary:
    return checklist_summary(org)
