"""The eight questions to ask of a network before investing in it (the brief's assessment
grid), each with a worded scale from 0 to 4 — 4 is always what serves the organisation best —
and the pillar it feeds (values: 3, 6, 7, 8; real impact: 1, 4)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Question:
    number: int
    text: str | Promise
    scale: tuple[str | Promise, str | Promise, str | Promise, str | Promise, str | Promise]
    pillar: str  # "values", "impact" or "" (counts in the overall score only)
    measured: bool = False  # the team's own figures speak to it (questions 1 and 4)


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        _("Is the audience we target present there?"),
        (
            _("absent"),
            _("marginal: a few people we target"),
            _("partly: some of the groups we target"),
            _("largely: most groups we target, somewhat active"),
            _("fully: most of our audience, and active"),
        ),
        "impact",
        measured=True,
    ),
    Question(
        2,
        _("Does it offer comment moderation tools?"),
        (
            _("none"),
            _("reporting only"),
            _("deleting or hiding comments"),
            _("plus reply controls, word filters and blocking"),
            _("complete: also pre-moderation or shared block lists, or no public comments"),
        ),
        "",
    ),
    Question(
        3,
        _("Are its values and its owners' in line with ours?"),
        (
            _("in open conflict with public service values"),
            _("mostly at odds"),
            _("mixed, or uncertain"),
            _("mostly aligned"),
            _("aligned: non-profit or public-interest governance, transparent rules"),
        ),
        "values",
    ),
    Question(
        4,
        _("Does its algorithm let us reach enough people without paying?"),
        (
            _("no: reach is bought"),
            _("little: a small part of our followers sees our posts"),
            _("partly: uneven, depends on the ranking"),
            _("mostly: followers see our posts, some discovery beyond them"),
            _("yes: followers see everything and people find us without ads"),
        ),
        "impact",
        measured=True,
    ),
    Question(
        5,
        _("How portable is our audience?"),
        (
            _("not at all: no list of followers we can take"),
            _("a list of followers without any way to reach them elsewhere"),
            _("a list of followers with handles we can match elsewhere"),
            _("followers move within one network only"),
            _("followers follow us to any new home automatically"),
        ),
        "",
    ),
    Question(
        6,
        _("Do we own our data and our social graph?"),
        (
            _("no: the platform holds everything, no export"),
            _("an export of our own posts only"),
            _("an export of posts and of the list of accounts"),
            _("a complete export, and a handle on our own domain"),
            _("everything on infrastructure we control or can leave at will"),
        ),
        "values",
    ),
    Question(
        7,
        _("How are the contents and accounts shown to people selected (editorialisation)?"),
        (
            _("opaque algorithm imposed on everyone"),
            _("algorithmic by default, little control"),
            _("algorithmic with a chronological option"),
            _("chronological by default, ranking optional and explained"),
            _("chronological or chosen by each person, transparent"),
        ),
        "values",
    ),
    Question(
        8,
        _("Can the ecosystem be bought (all in one hand)?"),
        (
            _("already in one person's or company's hands"),
            _("one company, with no open protocol"),
            _("one company, open protocol but little alternative infrastructure"),
            _("several operators, one dominant"),
            _("decentralised: no one can buy it whole"),
        ),
        "values",
    ),
)
BY_NUMBER = {q.number: q for q in QUESTIONS}
VALUES = (3, 6, 7, 8)
IMPACT = (1, 4)
