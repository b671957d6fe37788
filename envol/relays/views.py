"""The relays pages: the list (last and next poll, relayed today, failures, the organisation's
kill switch), a new relay, and a relay's page (its history and rules). Plain forms, no script."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from envol.orgs.models import Role
from envol.orgs.services import org_view
from envol.relays import services
from envol.relays.forms import NewRelayForm, RulesForm
from envol.relays.models import Relay


def _org(request: HttpRequest) -> Any:
    return request.organisation  # type: ignore[attr-defined]


@org_view()
def index(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    can_edit = request.membership.can(Role.EDITOR)  # type: ignore[attr-defined]
    if request.method == "POST" and can_edit:
        services.set_paused_all(org, request.POST.get("action") == "pause_all", request.user)
        return redirect("relays:index", org=org.slug)
    return render(
        request,
        "relays/index.html",
        {
            "org": org,
            "rows": services.relays_of(org),
            "switch": services.switch_of(org),
            "can_edit": can_edit,
        },
    )


@org_view(min_role=Role.EDITOR)
def new(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = NewRelayForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        template = data["template"] or ""
        try:
            relay = services.create(
                org,
                data["source_kind"],
                data["source"],
                [(account, template) for account in data["targets"]],
                actor=request.user,
                max_per_hour=data["max_per_hour"],
                backfill=data["backfill"],
            )
        except services.RelayError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The relay is created: it reads its source now."))
            return redirect("relays:detail", org=org.slug, pk=relay.pk)
    return render(
        request,
        "web/form_page.html",
        {
            "org": org,
            "form": form,
            "title": _("New relay"),
            "intro": _(
                "A relay publishes on your accounts what a website's feed, a Bluesky account or "
                "a Mastodon account publishes, each item once."
            ),
            "submit_label": _("Create the relay"),
        },
    )


ACTIONS = {
    "pause": services.pause,
    "resume": services.resume,
}


@org_view()
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request)
    relay = get_object_or_404(Relay, pk=pk, organisation=org)
    can_edit = request.membership.can(Role.EDITOR)  # type: ignore[attr-defined]
    form = RulesForm(instance=relay)
    if request.method == "POST" and can_edit:
        action = request.POST.get("action", "")
        if action in ACTIONS:
            ACTIONS[action](relay, request.user)
            return redirect("relays:detail", org=org.slug, pk=relay.pk)
        if action == "poll":
            services.poll_soon(relay)
            messages.success(request, _("The relay reads its source at the workers' next round."))
            return redirect("relays:detail", org=org.slug, pk=relay.pk)
        if action == "rules":
            form = RulesForm(request.POST, instance=Relay.objects.get(pk=relay.pk))
            if form.is_valid():
                values = {name: form.cleaned_data[name] for name in services.RULE_FIELDS}
                services.update_rules(relay, values, form.templates(), request.user)
                messages.success(request, _("The rules are saved."))
                return redirect("relays:detail", org=org.slug, pk=relay.pk)
    return render(
        request,
        "relays/detail.html",
        {
            "org": org,
            "relay": relay,
            "targets": [t.account for t in relay.targets.select_related("account")],
            "history": services.history(relay),
            "form": form,
            "can_edit": can_edit,
            "paused_all": services.paused_all(org.pk),
        },
    )
