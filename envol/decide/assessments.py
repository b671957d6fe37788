"""Assessments: the eight questions per network and date. A new assessment starts from the
team's previous one for that network, else from envol's sourced defaults; every assessment is
kept, so two dates can be compared question by question."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from envol.decide.defaults import DEFAULTS, is_stale
from envol.decide.effort import decision_settings
from envol.decide.models import Answer, Assessment
from envol.decide.networks import NETWORK_CODES
from envol.decide.questions import QUESTIONS
from envol.orgs.models import Organisation
from envol.orgs.services import audit

MAX_SOURCES = 10


class AssessmentError(Exception):
    """A user-facing mistake."""


@dataclass(frozen=True)
class Proposed:
    """One pre-filled answer of a new assessment, and where it comes from."""

    question: int
    score: int | None
    comment: str
    sources: tuple[str, ...]
    from_default: bool
    default_dated: date | None


def prefill(org: Organisation, network: str, lang: str | None = None) -> list[Proposed]:
    """The team's latest answers for the network, else envol's defaults (in `lang`)."""
    latest = latest_assessment(org, network)
    if latest is not None:
        answers = {a.question: a for a in latest.answers.all()}
        if len(answers) == len(QUESTIONS):
            return [
                Proposed(
                    n,
                    a.score,
                    a.comment,
                    tuple(a.sources),
                    a.from_default,
                    a.default_dated,
                )
                for n, a in sorted(answers.items())
            ]
    language = lang or get_language() or "fr"
    defaults = DEFAULTS.get(network, {})
    proposed = []
    for question in QUESTIONS:
        found = defaults.get(question.number)
        if found is None:
            proposed.append(Proposed(question.number, None, "", (), False, None))
        else:
            proposed.append(
                Proposed(
                    question.number,
                    found.score,
                    found.comment(language),
                    found.sources,
                    True,
                    found.dated,
                )
            )
    return proposed


def latest_assessment(org: Organisation, network: str) -> Assessment | None:
    return (
        Assessment.objects.filter(organisation=org, network=network)
        .prefetch_related("answers")
        .first()
    )


def clean_sources(raw: str | Sequence[str]) -> list[str]:
    """One URL a line (or a list); refuses anything that is not an http(s) URL."""
    lines = raw.splitlines() if isinstance(raw, str) else list(raw)
    urls = [line.strip() for line in lines if line.strip()]
    check = URLValidator(schemes=["http", "https"])
    for url in urls:
        try:
            check(url)
        except ValidationError:
            raise AssessmentError(
                _("“%(url)s” is not a web address: write one address per line, https://…")
                % {"url": url[:200]}
            ) from None
    if len(urls) > MAX_SOURCES:
        raise AssessmentError(_("At most 10 sources per answer."))
    return urls


@transaction.atomic
def save_assessment(
    org: Organisation,
    network: str,
    assessed_on: date,
    answers: Mapping[int, Mapping[str, Any]],
    *,
    note: str = "",
    actor: Any = None,
    lang: str | None = None,
) -> Assessment:
    """A new assessment. `answers[n]` holds `score` (0–4 or None), `comment`, `sources`; an
    answer left exactly as envol's default keeps the default's date (for "to review")."""
    if network not in NETWORK_CODES:
        raise AssessmentError(_("Unknown network “%(network)s”.") % {"network": network})
    proposed = {p.question: p for p in prefill(org, network, lang)}
    assessment = Assessment.objects.create(
        organisation=org,
        network=network,
        assessed_on=assessed_on,
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    rows = []
    for question in QUESTIONS:
        given = answers.get(question.number, {})
        before = proposed[question.number]
        score = given.get("score", before.score)
        if score is not None and not 0 <= int(score) <= 4:
            raise AssessmentError(_("A score is between 0 and 4."))
        comment = str(given.get("comment", before.comment)).strip()
        sources = clean_sources(given.get("sources", before.sources))
        unchanged = (
            before.from_default
            and score == before.score
            and comment == before.comment.strip()
            and tuple(sources) == before.sources
        )
        rows.append(
            Answer(
                assessment=assessment,
                question=question.number,
                score=None if score is None else int(score),
                comment=comment,
                sources=sources,
                from_default=unchanged,
                default_dated=before.default_dated if unchanged else None,
            )
        )
    Answer.objects.bulk_create(rows)
    audit(
        "decide.assessment.create",
        organisation=org,
        actor=actor,
        obj=assessment,
        network=network,
        assessed_on=assessed_on.isoformat(),
        scores={a.question: a.score for a in rows},
    )
    return assessment


def weights(org: Organisation) -> dict[int, float]:
    stored = decision_settings(org).weights
    return {q.number: float(stored.get(str(q.number), 1.0)) for q in QUESTIONS}


def set_weights(org: Organisation, given: Mapping[int, float], actor: Any = None) -> None:
    for number, weight in given.items():
        if not 0 <= weight <= 5:
            raise AssessmentError(_("A weight is between 0 and 5."))
        if number not in {q.number for q in QUESTIONS}:
            raise AssessmentError(_("There are eight questions."))
    found = decision_settings(org)
    found.weights = {str(n): float(w) for n, w in given.items()}
    found.save(update_fields=["weights"])
    audit("decide.weights", organisation=org, actor=actor, weights=found.weights)


def weighted(
    scores: Mapping[int, int | None], weights: Mapping[int, float], numbers: Sequence[int]
) -> float | None:
    """The weighted mean (0–4) of the answered questions among `numbers`, or None."""
    total = weight_sum = 0.0
    for number in numbers:
        score = scores.get(number)
        weight = weights.get(number, 1.0)
        if score is None or weight <= 0:
            continue
        total += score * weight
        weight_sum += weight
    return total / weight_sum if weight_sum else None


@dataclass(frozen=True)
class AnswerView:
    question: Any
    score: int | None
    label: str
    comment: str
    sources: list[str]
    from_default: bool
    to_review: bool


def answers_of(assessment: Assessment, today: date) -> list[AnswerView]:
    """The assessment's answers with their scale's words and whether each is to review: an
    answer still equal to an envol default older than a year."""
    by_number = {a.question: a for a in assessment.answers.all()}
    rows = []
    for question in QUESTIONS:
        answer = by_number.get(question.number)
        score = answer.score if answer else None
        rows.append(
            AnswerView(
                question,
                score,
                str(question.scale[score]) if score is not None else _("to assess"),
                answer.comment if answer else "",
                list(answer.sources) if answer else [],
                bool(answer and answer.from_default),
                bool(answer and answer.from_default and is_stale(answer.default_dated, today)),
            )
        )
    return rows


@dataclass(frozen=True)
class Change:
    question: Any
    before: int | None
    after: int | None

    @property
    def delta(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def compare(first: Assessment, second: Assessment) -> list[Change]:
    """Question by question, the older assessment's score against the newer's."""
    older, newer = sorted((first, second), key=lambda a: (a.assessed_on, a.pk))
    before = {a.question: a.score for a in older.answers.all()}
    after = {a.question: a.score for a in newer.answers.all()}
    return [Change(q, before.get(q.number), after.get(q.number)) for q in QUESTIONS]
