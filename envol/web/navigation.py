"""The main menu: one entry per domain, each an org-scoped URL name. Apps add one line here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from envol.decide.texts import MENU_LABEL as DECIDE
from envol.insights.texts import MENU_LABEL as INSIGHTS


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str  # a view taking only the `org` argument
    url_prefix: str  # highlights the entry for every page below it, e.g. "/o/<org>/imports/"


MENU: list[MenuEntry] = [
    MenuEntry(_("Dashboard"), "dashboard", ""),
    MenuEntry(_("Accounts"), "orgs:accounts", "accounts/"),
    MenuEntry(_("Leaving X"), "leaving:index", "leaving/"),
    MenuEntry(_("Publishing desk"), "publishing:index", "desk/"),
    MenuEntry(_("Imports"), "portability:imports", "imports/"),
    MenuEntry(_("Matches"), "crosswalk:matches", "matches/"),
    MenuEntry(_("Follow migration"), "migration:index", "migration/"),
    MenuEntry(_("Post history"), "history:site", "history/"),
    MenuEntry(_("Relays"), "relays:index", "relays/"),
    MenuEntry(INSIGHTS, "insights:index", "insights/"),
    MenuEntry(DECIDE, "decide:index", "decide/"),
]

PERSON_MENU: list[MenuEntry] = [
    MenuEntry(_("My journey"), "people:journey", ""),
    MenuEntry(_("My accounts"), "people:accounts", "me/accounts/"),
    MenuEntry(_("My data"), "people:data", "me/data/"),
]
"""A personal space (an organisation of kind `person`): one page at a time, no jargon."""
