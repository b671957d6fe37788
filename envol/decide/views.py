"""The decision pages: effort (weekly grid, CSV, estimates), costs (admins), ROI with its
method, the eight questions, the decision sheets, scenarios and the report.

Costs are shown to admins and editors only, never to reviewers or viewers (`can_see_costs`).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import NamedTemporaryFile
from typing import Any

from django.contrib import messages
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from envol.decide import (
    assessments,
    comparability,
    decision,
    effort,
    forms,
    report,
    roi,
    roi_charts,
)
from envol.decide.defaults import DEFAULTS
from envol.decide.models import Assessment, EffortEntry, NetworkChoice, OtherCost, Scenario
from envol.decide.networks import NETWORK_CODES
from envol.decide.questions import QUESTIONS
from envol.orgs.models import Role
from envol.orgs.services import org_view

MONTHS_SHOWN = 6


def can_see_costs(request: HttpRequest) -> bool:
    return bool(request.membership.can(Role.EDITOR))  # type: ignore[attr-defined]


def _org(request: HttpRequest) -> Any:
    return request.organisation  # type: ignore[attr-defined]


def default_period(org: Any, today: date) -> tuple[date, date]:
    """Six calendar months ending with the last month that holds logged hours, else figures,
    else this month: the pages open on something to read, and on the months where a return per
    hour can be computed (figures without hours give none)."""
    from envol.insights.models import ChannelPost

    last = (
        EffortEntry.objects.filter(organisation=org, day__lte=today).aggregate(d=Max("day"))["d"]
        or ChannelPost.objects.filter(channel__organisation=org, published_on__lte=today).aggregate(
            d=Max("published_on")
        )["d"]
        or today
    )
    end = roi.month_end(last)
    first = end.replace(day=1)
    for _i in range(MONTHS_SHOWN - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, end


def _period(request: HttpRequest) -> tuple[date, date, forms.PeriodForm]:
    start, end = default_period(_org(request), timezone.localdate())
    form = forms.PeriodForm(request.GET or {"start": start, "end": end})
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return start, end, form


def _label(code: str) -> str:
    return str(NetworkChoice(code).label)


# --- overview -------------------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def index(request: HttpRequest) -> HttpResponse:
    start, end, form = _period(request)
    sheets = decision.sheets(_org(request), start, end)
    return render(
        request,
        "decide/index.html",
        {
            "org": _org(request),
            "form": form,
            "start": start,
            "end": end,
            "sheets": [(s, _label(s.network)) for s in sheets],
        },
    )


# --- effort ---------------------------------------------------------------------------------


def _week(request: HttpRequest) -> date:
    try:
        return effort.monday_of(date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        return effort.monday_of(timezone.localdate())


@org_view(min_role=Role.EDITOR)
def effort_page(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    monday = _week(request)
    days = effort.week_days(monday)
    errors: list[str] = []
    if request.method == "POST":
        cells: dict[tuple[str, date], Decimal | None] = {}
        for code in NETWORK_CODES:
            for day in days:
                raw = request.POST.get(f"h-{code}-{day.isoformat()}", "").strip()
                if not raw:
                    cells[(code, day)] = None
                    continue
                try:
                    cells[(code, day)] = effort.parse_hours(raw)
                except effort.EffortError as exc:
                    errors.append(f"{_label(code)}, {day:%d/%m}: {exc}")
        if not errors:
            kept = effort.save_grid(org, request.user, monday, cells)
            messages.success(
                request,
                ngettext(
                    "Week of %(day)s saved (%(n)s cell filled).",
                    "Week of %(day)s saved (%(n)s cells filled).",
                    kept,
                )
                % {"day": monday, "n": kept},
            )
            return redirect(f"{request.path}?week={monday.isoformat()}")
    hours = effort.grid_hours(org, request.user, monday)
    rows = [
        {
            "code": code,
            "label": _label(code),
            "cells": [
                {
                    "name": f"h-{code}-{day.isoformat()}",
                    "value": request.POST.get(f"h-{code}-{day.isoformat()}")
                    if errors
                    else _hours_text(hours.get((code, day))),
                    "day": day,
                }
                for day in days
            ],
            "total": sum((hours.get((code, d)) or Decimal(0)) for d in days),
        }
        for code in NETWORK_CODES
    ]
    return render(
        request,
        "decide/effort.html",
        {
            "org": org,
            "monday": monday,
            "days": days,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "rows": rows,
            "errors": errors,
            "csv_form": forms.CsvForm(),
            "estimates": [
                (e, _label(e.network)) for e in effort.pending_estimates(org, timezone.localdate())
            ],
            "entries": EffortEntry.objects.filter(organisation=org).select_related("person")[:30],
        },
        status=400 if errors else 200,
    )


def _hours_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}".replace(".", ",")


@org_view(min_role=Role.EDITOR)
@require_POST
def effort_import(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = forms.CsvForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file."))
        return redirect("decide:effort", org=org.slug)
    uploaded = form.cleaned_data["file"]
    with NamedTemporaryFile(suffix=".csv") as stored:
        for chunk in uploaded.chunks():
            stored.write(chunk)
        stored.flush()
        try:
            added = effort.import_csv(
                org, Path(stored.name), file_name=uploaded.name, actor=request.user
            )
        except effort.CsvImportError as exc:
            for error in exc.errors:
                messages.error(request, str(error))
            messages.error(request, _("Nothing was imported: correct the lines above."))
            return redirect("decide:effort", org=org.slug)
    messages.success(
        request,
        ngettext("%(n)s entry imported.", "%(n)s entries imported.", added) % {"n": added},
    )
    return redirect("decide:effort", org=org.slug)


@org_view(min_role=Role.EDITOR)
@require_POST
def confirm_estimate(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    try:
        monday = date.fromisoformat(request.POST.get("week", ""))
        hours = effort.parse_hours(request.POST.get("hours", ""), limit=Decimal(168))
        effort.confirm_estimate(
            org,
            request.POST.get("network", ""),
            monday,
            hours,
            posts=int(request.POST.get("posts", "0") or 0),
            actor=request.user,
        )
    except (ValueError, effort.EffortError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Estimate confirmed and counted."))
    return redirect("decide:effort", org=org.slug)


# --- costs ----------------------------------------------------------------------------------


@org_view(min_role=Role.EDITOR)
def costs(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    is_admin = request.membership.can(Role.ADMIN)  # type: ignore[attr-defined]
    people = [(f"person:{u.pk}", u.username) for u in effort.people_of(org)]
    rate_form = forms.RateForm(people=people)
    cost_form = forms.OtherCostForm()
    minutes_form = forms.MinutesForm(
        initial={"minutes_per_post": effort.decision_settings(org).minutes_per_post}
    )
    if request.method == "POST":
        if not is_admin:
            raise Http404
        action = request.POST.get("action")
        if action == "rate":
            rate_form = forms.RateForm(request.POST, people=people)
            if rate_form.is_valid():
                _save_rate(org, rate_form.cleaned_data, request.user)
                messages.success(request, _("Hourly cost saved."))
                return redirect("decide:costs", org=org.slug)
        elif action == "cost":
            cost_form = forms.OtherCostForm(request.POST)
            if cost_form.is_valid():
                effort.add_other_cost(org, actor=request.user, **cost_form.cleaned_data)
                messages.success(request, _("Cost added."))
                return redirect("decide:costs", org=org.slug)
        elif action == "minutes":
            minutes_form = forms.MinutesForm(request.POST)
            if minutes_form.is_valid():
                found = effort.decision_settings(org)
                found.minutes_per_post = minutes_form.cleaned_data["minutes_per_post"]
                found.save(update_fields=["minutes_per_post"])
                messages.success(request, _("Setting saved."))
                return redirect("decide:costs", org=org.slug)
    return render(
        request,
        "decide/costs.html",
        {
            "org": org,
            "is_admin": is_admin,
            "rates": org.hourly_rates.select_related("person").order_by("person", "role"),
            "costs": OtherCost.objects.filter(organisation=org)[:50],
            "rate_form": rate_form,
            "cost_form": cost_form,
            "minutes_form": minutes_form,
        },
    )


def _save_rate(org: Any, data: dict[str, Any], actor: Any) -> None:
    from django.contrib.auth import get_user_model

    who: str = data["who"]
    euros = data["euros_per_hour"]
    if who.startswith("person:"):
        person = get_object_or_404(
            get_user_model(), pk=int(who.split(":", 1)[1]), memberships__organisation=org
        )
        effort.set_rate(org, euros, person=person, actor=actor)
    elif who.startswith("role:"):
        effort.set_rate(org, euros, role=who.split(":", 1)[1], actor=actor)
    else:
        effort.set_rate(org, euros, actor=actor)


# --- ROI ------------------------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def roi_page(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    start, end, form = _period(request)
    context = roi_context(org, start, end, costs_visible=can_see_costs(request))
    return render(request, "decide/roi.html", {"org": org, "form": form, **context})


def roi_context(
    org: Any, start: date, end: date, *, costs_visible: bool, standalone_charts: bool = False
) -> dict[str, Any]:
    """What the ROI page and the report show: per network, the figures and ratios; the X
    baseline; which comparisons hold; month by month."""
    period = roi.compute(org, start, end)
    baseline = roi.x_baseline(org)
    networks = [(n, _label(n.network)) for n in period.networks.values()]
    proxies = [n.network for n in period.networks.values() if n.kinds.get("clicks") == "proxy"]
    months = roi.monthly(org, start, end, networks=list(period.networks))
    trend = [
        {
            "label": _label(code),
            "months": [m.networks[code] for m in months],
        }
        for code in period.networks
    ]
    return {
        "start": start,
        "end": end,
        "networks": networks,
        "costs_visible": costs_visible,
        "baseline": baseline,
        "baseline_period": roi.x_baseline_period(org),
        "statements": [
            (s, [_label(n) for n in s.networks])
            for s in comparability.statements(period.networks, proxies)
        ],
        "months": [m.start for m in months],
        "trend": trend,
        "charts": roi_charts.all_charts(period, baseline, months, standalone=standalone_charts),
    }


@org_view(min_role=Role.VIEWER)
def method(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "decide/method.html",
        {"org": _org(request), "questions": QUESTIONS, "rule": decision.__doc__},
    )


# --- the eight questions --------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def assessments_page(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    is_admin = request.membership.can(Role.ADMIN)  # type: ignore[attr-defined]
    the_weights = assessments.weights(org)
    weights_form = forms.WeightsForm(initial={f"w{n}": w for n, w in the_weights.items()})
    if request.method == "POST":
        if not is_admin:
            raise Http404
        weights_form = forms.WeightsForm(request.POST)
        if weights_form.is_valid():
            assessments.set_weights(
                org,
                {q.number: float(weights_form.cleaned_data[f"w{q.number}"]) for q in QUESTIONS},
                actor=request.user,
            )
            messages.success(request, _("Weights saved."))
            return redirect("decide:assessments", org=org.slug)
    history = Assessment.objects.filter(organisation=org).select_related("created_by")
    by_network: dict[str, list[Assessment]] = {}
    for item in history:
        by_network.setdefault(item.network, []).append(item)
    rows = [
        {"code": code, "label": _label(code), "history": by_network.get(code, [])}
        for code in NETWORK_CODES
    ]
    return render(
        request,
        "decide/assessments.html",
        {
            "org": org,
            "rows": rows,
            "weights_form": weights_form,
            "is_admin": is_admin,
            "can_edit": request.membership.can(Role.EDITOR),  # type: ignore[attr-defined]
        },
    )


@org_view(min_role=Role.EDITOR)
def assess(request: HttpRequest, network: str) -> HttpResponse:
    org = _org(request)
    if network not in NETWORK_CODES:
        raise Http404
    proposed = {p.question: p for p in assessments.prefill(org, network)}
    initial: dict[str, Any] = {"assessed_on": timezone.localdate()}
    for n, p in proposed.items():
        initial |= {
            f"score{n}": "" if p.score is None else str(p.score),
            f"comment{n}": p.comment,
            f"sources{n}": "\n".join(p.sources),
        }
    form = forms.AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        answers = {
            q.number: {
                "score": data[f"score{q.number}"],
                "comment": data[f"comment{q.number}"],
                "sources": data[f"sources{q.number}"],
            }
            for q in QUESTIONS
        }
        try:
            saved = assessments.save_assessment(
                org, network, data["assessed_on"], answers, note=data["note"], actor=request.user
            )
        except assessments.AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Assessment saved."))
            return redirect("decide:assessment", org=org.slug, assessment_id=saved.pk)
    return render(
        request,
        "decide/assess.html",
        {
            "org": org,
            "network": network,
            "label": _label(network),
            "form": form,
            "from_defaults": network in DEFAULTS
            and assessments.latest_assessment(org, network) is None,
        },
    )


@org_view(min_role=Role.VIEWER)
def assessment_page(request: HttpRequest, assessment_id: int) -> HttpResponse:
    org = _org(request)
    found = get_object_or_404(Assessment, pk=assessment_id, organisation=org)
    others = Assessment.objects.filter(organisation=org, network=found.network).exclude(pk=found.pk)
    return render(
        request,
        "decide/assessment.html",
        {
            "org": org,
            "assessment": found,
            "label": _label(found.network),
            "answers": assessments.answers_of(found, timezone.localdate()),
            "others": others,
        },
    )


@org_view(min_role=Role.VIEWER)
def compare(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    try:
        first = get_object_or_404(Assessment, pk=int(request.GET.get("a", "")), organisation=org)
        second = get_object_or_404(Assessment, pk=int(request.GET.get("b", "")), organisation=org)
    except ValueError:
        raise Http404 from None
    older, newer = sorted((first, second), key=lambda a: (a.assessed_on, a.pk))
    return render(
        request,
        "decide/compare.html",
        {
            "org": org,
            "older": older,
            "newer": newer,
            "older_label": _label(older.network),
            "newer_label": _label(newer.network),
            "changes": assessments.compare(older, newer),
        },
    )


# --- decision sheets ------------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def sheet_page(request: HttpRequest, network: str) -> HttpResponse:
    org = _org(request)
    if network not in NETWORK_CODES:
        raise Http404
    start, end, period_form = _period(request)
    found = next((s for s in decision.sheets(org, start, end) if s.network == network), None)
    if found is None:
        found = decision.sheet(
            org,
            network,
            roi.compute(org, start, end, networks=[network]).networks[network],
            None,
            assessments.weights(org),
        )
    can_sign = request.membership.can(Role.EDITOR)  # type: ignore[attr-defined]
    form = forms.DecisionForm(
        request.POST or None, initial={"choice": found.proposed} if found.proposed else None
    )
    if request.method == "POST":
        if not can_sign:
            raise Http404
        if form.is_valid():
            try:
                decision.sign(
                    org,
                    network,
                    choice=form.cleaned_data["choice"],
                    rationale=form.cleaned_data["rationale"],
                    start=start,
                    end=end,
                    actor=request.user,
                )
            except decision.DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Decision signed."))
                return redirect(f"{request.path}?start={start.isoformat()}&end={end.isoformat()}")
    return render(
        request,
        "decide/sheet.html",
        {
            "org": org,
            "sheet": found,
            "label": _label(network),
            "period_form": period_form,
            "start": start,
            "end": end,
            "form": form,
            "can_sign": can_sign,
            "costs_visible": can_see_costs(request),
            "history": org.decisions.filter(network=network).select_related("signed_by"),
            "answers": assessments.answers_of(found.assessment, timezone.localdate())
            if found.assessment
            else [],
        },
    )


# --- scenarios ------------------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def scenarios(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    start, end, period_form = _period(request)
    can_edit = request.membership.can(Role.EDITOR)  # type: ignore[attr-defined]
    form = forms.ScenarioForm(request.POST or None, initial={"from_network": "x"})
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                decision.save_scenario(org, actor=request.user, **form.cleaned_data)
            except decision.DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Scenario added."))
                return redirect("decide:scenarios", org=org.slug)
    results = [
        (decision.evaluate(s, start, end), _label(s.from_network), _label(s.to_network))
        for s in Scenario.objects.filter(organisation=org)[:20]
    ]
    return render(
        request,
        "decide/scenarios.html",
        {
            "org": org,
            "form": form,
            "period_form": period_form,
            "start": start,
            "end": end,
            "results": results,
            "can_edit": can_edit,
        },
    )


# --- the report -----------------------------------------------------------------------------


@org_view(min_role=Role.VIEWER)
def report_page(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    start, end = default_period(org, timezone.localdate())
    form = forms.ReportForm(initial={"start": start, "end": end, "lang": "fr"})
    return render(request, "decide/report_page.html", {"org": org, "form": form})


@org_view(min_role=Role.VIEWER)
def report_file(request: HttpRequest) -> HttpResponse:
    """The report as a download (PDF or HTML), for the period and language asked."""
    org = _org(request)
    form = forms.ReportForm(request.GET)
    fmt = request.GET.get("format", "pdf")
    if not form.is_valid() or fmt not in ("pdf", "html"):
        messages.error(request, _("Choose a valid period and language."))
        return redirect("decide:report", org=org.slug)
    data = report.render(
        org,
        form.cleaned_data["start"],
        form.cleaned_data["end"],
        fmt=fmt,
        lang=form.cleaned_data["lang"],
        costs_visible=can_see_costs(request),
    )
    name = f"envol-{org.slug}-{form.cleaned_data['start']}-{form.cleaned_data['end']}.{fmt}"
    response = HttpResponse(
        data, content_type="application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
