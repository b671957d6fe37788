"""Connected accounts: list, connect (Bluesky app password, Mastodon OAuth), check, disconnect."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envol.orgs import accounts
from envol.orgs.forms import (
    BlueskyConnectForm,
    BrandForm,
    MastodonConnectForm,
    OrganisationForm,
)
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import membership_for, org_view, update_brand, update_organisation


@org_view()
def account_list(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    return render(
        request,
        "orgs/account_list.html",
        {
            "accounts": org.accounts.order_by("network", "handle"),
            "can_edit": request.membership.can(Role.ADMIN),  # type: ignore[attr-defined]
        },
    )


@org_view(min_role=Role.ADMIN)
def connect_bluesky(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    form = BlueskyConnectForm(
        request.POST or None, initial={"service": settings.ENVOL_BLUESKY_SERVICE}
    )
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.connect_bluesky(
                org,
                form.cleaned_data["handle"],
                form.cleaned_data["app_password"],
                form.cleaned_data["service"] or None,
                actor=request.user,
            )
        except accounts.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Bluesky account %(handle)s connected.") % {"handle": account.handle}
            )
            return redirect("orgs:accounts", org=org.slug)
    return render(request, "orgs/connect_bluesky.html", {"form": form})


@org_view(min_role=Role.ADMIN)
def connect_mastodon(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    form = MastodonConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from envol.orgs import mastodon_accounts

        try:
            url = mastodon_accounts.start_web_authorization(
                request, org, form.cleaned_data["instance"]
            )
        except accounts.AccountError as exc:
            form.add_error("instance", str(exc))
        else:
            return redirect(url)
    return render(request, "orgs/connect_mastodon.html", {"form": form})


@org_view(min_role=Role.ADMIN)
@require_POST
def recheck_account(request: HttpRequest, account_id: int) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    account = get_object_or_404(ConnectedAccount, organisation=org, pk=account_id)
    accounts.recheck(account, actor=request.user)
    if account.status == ConnectedAccount.Status.OK:
        messages.success(request, _("%(account)s works.") % {"account": account})
    else:
        messages.error(
            request,
            _("%(account)s needs reconnecting: %(detail)s")
            % {"account": account, "detail": account.status_detail},
        )
    return redirect("orgs:accounts", org=org.slug)


@org_view(min_role=Role.ADMIN)
@require_POST
def disconnect_account(request: HttpRequest, account_id: int) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    account = get_object_or_404(ConnectedAccount, organisation=org, pk=account_id)
    accounts.disconnect(account, actor=request.user)
    messages.success(request, _("Account disconnected; envol no longer holds its credentials."))
    return redirect("orgs:accounts", org=org.slug)


@login_required
def mastodon_callback(request: HttpRequest) -> HttpResponse:
    """Where the Mastodon server sends the member back. Not under /o/<org>/ because one callback
    URL serves every organisation; the organisation comes from the member's own session."""
    from envol.orgs import mastodon_accounts

    try:
        slug, pending = mastodon_accounts.pending_from_session(
            request, request.GET.get("state", "")
        )
    except accounts.AccountError as exc:
        messages.error(request, str(exc))
        return redirect("home")
    membership = membership_for(request.user, slug)
    if not membership.can(Role.ADMIN):
        raise Http404
    org = membership.organisation
    if "error" in request.GET or not request.GET.get("code"):
        messages.error(request, _("The Mastodon server did not authorise envol. Nothing changed."))
        return redirect("orgs:accounts", org=org.slug)
    try:
        account = mastodon_accounts.finish(org, pending, request.GET["code"], actor=request.user)
    except accounts.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Mastodon account %(handle)s connected.") % {"handle": account.handle}
        )
    return redirect("orgs:accounts", org=org.slug)


@org_view(min_role=Role.ADMIN)
def organisation_settings(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    form = OrganisationForm(request.POST or None, instance=org)
    brand = BrandForm(
        request.POST or None, request.FILES or None, initial={"colour": org.colour}, prefix="brand"
    )
    if request.method == "POST" and form.is_valid() and brand.is_valid():
        data = form.cleaned_data
        update_organisation(
            org, name=data["name"], kind=data["kind"], website=data["website"], actor=request.user
        )
        update_brand(
            org,
            colour=brand.cleaned_data["colour"],
            logo_png=brand.cleaned_data["logo"],
            remove_logo=brand.cleaned_data["remove_logo"],
            actor=request.user,
        )
        messages.success(request, _("The organisation is updated."))
        return redirect("orgs:settings", org=org.slug)
    return render(
        request,
        "orgs/settings.html",
        {"form": form, "brand": brand, "org": org},
    )
