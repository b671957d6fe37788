"""The decision sheet per network — three pillars (values, real impact, return on investment),
envol's proposal with its reasons, the decision a person signs — and reallocation scenarios.

The proposal is a rule anyone can check by hand (the method page states it):
1. overall = the weighted mean (0–4) of the answered questions;
2. return on investment moves it by ±0.5: engagements per hour at least 1.25× the median of the
   organisation's networks with a figure → +0.5; at most 0.75× → −0.5; unknown → no change;
3. overall ≥ 3 → invest; ≥ 2 → maintain; ≥ 1.25 → reduce; below → leave, keeping the account
   dormant (never close it: the handle could be taken);
4. a network whose values pillar is below 1.5 is never proposed for investment (at most
   "maintain"), and one below 1 at most "reduce";
5. with no measured return (engagements per hour unknown), at most "maintain": measure before
   investing more.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from envol.decide import roi as roi_module
from envol.decide.assessments import latest_assessment, weighted, weights
from envol.decide.models import Decision, NetworkChoice, Recommendation, Scenario
from envol.decide.networks import NETWORK_CODES
from envol.decide.questions import IMPACT, QUESTIONS, VALUES
from envol.orgs.models import Organisation
from envol.orgs.services import audit

HIGH, LOW = 1.25, 0.75
FEW_MONTHS = 3  # fewer measured months than this: a range only, never a single number
FEW_MONTHS_SPREAD = 0.5  # ±50 % around the measured months when they are that few


class DecisionError(Exception):
    """A user-facing mistake."""


@dataclass
class Sheet:
    network: str
    values: float | None
    impact: float | None
    overall: float | None
    roi: roi_module.NetworkROI
    roi_position: str  # "high", "middle", "low", "unknown"
    proposed: str | None
    reasons: list[str] = field(default_factory=list)
    assessment: Any = None
    decision: Decision | None = None

    def figures(self) -> dict[str, Any]:
        """What the proposal stood on, kept with a signed decision."""
        return {
            "values": _round(self.values),
            "impact": _round(self.impact),
            "overall": _round(self.overall),
            "roi_position": self.roi_position,
            "roi": self.roi.as_json(),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def sheets(org: Organisation, start: date, end: date) -> list[Sheet]:
    """One sheet per network that has an assessment or figures in the period."""
    period = roi_module.compute(org, start, end)
    assessed = set(org.assessments.values_list("network", flat=True).distinct())
    codes = [c for c in NETWORK_CODES if c in assessed or c in period.networks]
    missing = [c for c in codes if c not in period.networks]
    if missing:
        period.networks.update(roi_module.compute(org, start, end, networks=missing).networks)
    rates = [v for n in period.networks.values() if (v := n.per_hour("engagements")) is not None]
    median = statistics.median(rates) if rates else None
    the_weights = weights(org)
    latest_decisions = {}
    for decision in Decision.objects.filter(organisation=org).order_by("signed_at", "pk"):
        latest_decisions[decision.network] = decision
    return [
        sheet(org, code, period.networks[code], median, the_weights, latest_decisions.get(code))
        for code in codes
    ]


def sheet(
    org: Organisation,
    network: str,
    roi: roi_module.NetworkROI,
    median: float | None,
    the_weights: dict[int, float],
    decision: Decision | None = None,
) -> Sheet:
    assessment = latest_assessment(org, network)
    scores = {a.question: a.score for a in assessment.answers.all()} if assessment else {}
    values = weighted(scores, the_weights, VALUES)
    impact = weighted(scores, the_weights, IMPACT)
    overall = weighted(scores, the_weights, [q.number for q in QUESTIONS])
    position = _position(roi.per_hour("engagements"), median)
    proposed, reasons = propose(values, impact, overall, position)
    return Sheet(
        network,
        values,
        impact,
        overall,
        roi,
        position,
        proposed,
        reasons,
        assessment,
        decision,
    )


def _position(rate: float | None, median: float | None) -> str:
    if rate is None or not median:
        return "unknown"
    if rate >= HIGH * median:
        return "high"
    if rate <= LOW * median:
        return "low"
    return "middle"


def _one(value: float) -> str:
    """A score with one decimal, the reader's way (2,5 or 2.5)."""
    return number_format(round(value, 1), 1)


RANK = [
    Recommendation.DORMANT,
    Recommendation.REDUCE,
    Recommendation.MAINTAIN,
    Recommendation.INVEST,
]


def propose(
    values: float | None, impact: float | None, overall: float | None, position: str
) -> tuple[str | None, list[str]]:
    """envol's proposal and its reasons, in words (see the module's docstring)."""
    if overall is None:
        return None, [_("No question answered yet: assess this network first.")]
    reasons = [_("Weighted score of the eight questions: %(s)s / 4.") % {"s": _one(overall)}]
    score = overall
    if position == "high":
        score += 0.5
        reasons.append(_("Engagements per hour well above the median of your networks: +0.5."))
    elif position == "low":
        score -= 0.5
        reasons.append(_("Engagements per hour well below the median of your networks: −0.5."))
    elif position == "middle":
        reasons.append(_("Engagements per hour close to the median of your networks."))
    else:
        reasons.append(_("Engagements per hour unknown (log hours and import figures)."))
    if impact is not None:
        reasons.append(_("Real impact (questions 1 and 4): %(s)s / 4.") % {"s": _one(impact)})
    if score >= 3:
        rank = 3
    elif score >= 2:
        rank = 2
    elif score >= 1.25:
        rank = 1
    else:
        rank = 0
    if values is not None:
        reasons.append(_("Values (questions 3, 6, 7, 8): %(s)s / 4.") % {"s": _one(values)})
        cap = 1 if values < 1 else 2 if values < 1.5 else 3
        if rank > cap:
            rank = cap
            reasons.append(_("Values too far from yours to invest more."))
    if position == "unknown" and rank > 2:
        rank = 2
        reasons.append(_("Nothing measured yet: measure before investing more."))
    if rank == 0:
        reasons.append(
            _("Keep the account dormant rather than closing it, so that the name cannot be taken.")
        )
    return RANK[rank].value, reasons


@transaction.atomic
def sign(
    org: Organisation,
    network: str,
    *,
    choice: str,
    rationale: str,
    start: date,
    end: date,
    actor: Any,
    now: Any = None,
) -> Decision:
    """A person decides: the choice, the rationale, and envol's proposal kept beside it."""
    if choice not in Recommendation.values:
        raise DecisionError(_("Choose invest, maintain, reduce or leave (dormant)."))
    if not rationale.strip():
        raise DecisionError(_("Write the rationale of the decision: it is what gets read later."))
    if not getattr(actor, "is_authenticated", False):
        raise DecisionError(_("A decision is signed by a person."))
    found = next((s for s in sheets(org, start, end) if s.network == network), None)
    if found is None:
        found = sheet(
            org,
            network,
            roi_module.compute(org, start, end, networks=[network]).networks[network],
            None,
            weights(org),
        )
    decision = Decision.objects.create(
        organisation=org,
        network=network,
        period_start=start,
        period_end=end,
        assessment=found.assessment,
        proposed=found.proposed or "",
        reasons=[str(r) for r in found.reasons],
        figures=found.figures(),
        choice=choice,
        rationale=rationale.strip(),
        signed_by=actor,
        signed_at=now or timezone.now(),
    )
    audit(
        "decide.decision.sign",
        organisation=org,
        actor=actor,
        obj=decision,
        network=network,
        choice=choice,
        proposed=decision.proposed,
    )
    return decision


# --- reallocation scenarios -------------------------------------------------------------------


@dataclass
class Projection:
    figure: str
    samples: int  # months with both hours and this figure
    central: float | None  # only with enough months
    low: float | None
    high: float | None


@dataclass
class ScenarioResult:
    scenario: Scenario
    gains: list[Projection]
    losses: list[Projection]
    months: int

    @property
    def few_data(self) -> bool:
        return any(p.samples and p.samples < FEW_MONTHS for p in self.gains + self.losses)


def per_hour_samples(
    months: list[roi_module.PeriodROI], network: str, figure: str
) -> tuple[list[float], float, float]:
    """Monthly per-hour values of a figure, and the period's totals (value, hours)."""
    samples, value_sum, hours_sum = [], 0.0, 0.0
    for month in months:
        found = month.networks.get(network)
        if found is None:
            continue
        value = getattr(found, figure)
        if found.hours and value is not None:
            samples.append(float(value) / found.hours)
            value_sum += float(value)
            hours_sum += found.hours
    return samples, value_sum, hours_sum


def project(
    months: list[roi_module.PeriodROI], network: str, figure: str, hours: float
) -> Projection:
    """`hours` more a month on `network`: what `figure` would bring, from its measured months.

    With FEW_MONTHS or more: the pooled rate (all value / all hours) as the central figure and
    the lowest to highest month as the range. With fewer: only a range, widened by ±50 %."""
    samples, value_sum, hours_sum = per_hour_samples(months, network, figure)
    if not samples:
        return Projection(figure, 0, None, None, None)
    if len(samples) < FEW_MONTHS:
        return Projection(
            figure,
            len(samples),
            None,
            hours * min(samples) * (1 - FEW_MONTHS_SPREAD),
            hours * max(samples) * (1 + FEW_MONTHS_SPREAD),
        )
    return Projection(
        figure,
        len(samples),
        hours * value_sum / hours_sum,
        hours * min(samples),
        hours * max(samples),
    )


SCENARIO_FIGURES = ("views", "engagements", "clicks")


def evaluate(scenario: Scenario, start: date, end: date) -> ScenarioResult:
    months = roi_module.monthly(
        scenario.organisation,
        start,
        end,
        networks=[scenario.from_network, scenario.to_network],
    )
    hours = float(scenario.hours_per_month)
    return ScenarioResult(
        scenario,
        [project(months, scenario.to_network, f, hours) for f in SCENARIO_FIGURES],
        [project(months, scenario.from_network, f, hours) for f in SCENARIO_FIGURES],
        len(months),
    )


def save_scenario(
    org: Organisation, from_network: str, to_network: str, hours: Decimal, actor: Any = None
) -> Scenario:
    if from_network == to_network:
        raise DecisionError(_("Move hours from one network to another one."))
    for code in (from_network, to_network):
        if code not in NetworkChoice.values:
            raise DecisionError(_("Unknown network “%(network)s”.") % {"network": code})
    scenario = Scenario.objects.create(
        organisation=org,
        from_network=from_network,
        to_network=to_network,
        hours_per_month=hours,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        "decide.scenario.create",
        organisation=org,
        actor=actor,
        obj=scenario,
        moved=f"{from_network}->{to_network}",
        hours=str(hours),
    )
    return scenario
