"""Pages of personal spaces: signing in with a network, then one step at a time — give your X
archive, see who is already here, choose, follow them — plus consent, email and data rights.

Signed-out pages live at /signin/…; a person's own pages under /o/<space>/me/…, through
`org_view` like every organisation page, and only for spaces of kind `person`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.db.models import Count
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from envol.crosswalk.models import Decision, Match
from envol.orgs.models import ConnectedAccount, Organisation, Role
from envol.orgs.services import audit, org_view
from envol.people import digest, rights, services, signin
from envol.people.forms import (
    LEVEL_HELP,
    BlueskySignInForm,
    ConsentForm,
    DeleteForm,
    EmailForm,
    MastodonSignInForm,
)
from envol.people.models import ArchiveFollowUp, PersonSpace
from envol.portability.forms import SizeLimitHandler, UploadForm, too_large_message
from envol.portability.models import ArchiveImport

REFRESH_SECONDS = 3
NETWORKS = (("bluesky", "Bluesky"), ("mastodon", "Mastodon"))


def person_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponse]:
    """`org_view` (admin: the person themself), and only for personal spaces."""

    @org_view(min_role=Role.ADMIN)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = request.organisation  # type: ignore[attr-defined]
        if org.kind != Organisation.Kind.PERSON:
            raise Http404
        return cast(HttpResponse, view(request, org, *args, **kwargs))

    return wrapper


# --- signing in -----------------------------------------------------------------------------------


def signin_page(request: HttpRequest) -> HttpResponse:
    """Sign in (or open a space) with Bluesky or Mastodon: no password."""
    invitation = request.GET.get("invite", "") or request.POST.get("invite", "")
    intent = "connect" if request.user.is_authenticated else "signin"
    bluesky, mastodon = BlueskySignInForm(prefix="bluesky"), MastodonSignInForm(prefix="mastodon")
    status = 200
    if request.method == "POST":
        network = request.POST.get("network")
        try:
            if network == "bluesky":
                bluesky = BlueskySignInForm(request.POST, prefix="bluesky")
                if bluesky.is_valid():
                    return redirect(
                        signin.begin_bluesky(
                            request, bluesky.cleaned_data["handle"], intent, invitation
                        )
                    )
            elif network == "mastodon":
                mastodon = MastodonSignInForm(request.POST, prefix="mastodon")
                if mastodon.is_valid():
                    return redirect(
                        signin.begin_mastodon(
                            request, mastodon.cleaned_data["server"], intent, invitation
                        )
                    )
        except services.SignInRefused as exc:
            form = bluesky if network == "bluesky" else mastodon
            form.add_error(None, str(exc))
        status = 400
    mode = services.signup_mode()
    return render(
        request,
        "people/signin.html",
        {
            "bluesky": bluesky,
            "mastodon": mastodon,
            "invitation": invitation,
            "mode": mode,
            "invitation_open": services.invitation_is_open(invitation),
            "connecting": intent == "connect",
        },
        status=status,
    )


def _finish(request: HttpRequest, finish: Callable[..., signin.Finished]) -> HttpResponse:
    try:
        done = finish(request, request.GET)
        if done.intent == "signin":
            user = services.sign_in(done.identity, done.invitation)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            space = services.person_space_of(user)
            if space is None:
                return redirect("home")
            account = ConnectedAccount.objects.filter(
                organisation=space, network=done.identity.network
            ).first()
            if account is not None and not _has_consent(account):
                return redirect("people:consent", org=space.slug, account_id=account.pk)
            return redirect("people:journey", org=space.slug)
        space = services.person_space_of(request.user)
        if space is None:
            raise services.SignInRefused(_("Sign in first."))
        if done.intent == "connect":
            account = services.attach(request.user, space, done.identity)
            messages.success(
                request, _("%(handle)s is connected.") % {"handle": done.identity.handle}
            )
            return redirect("people:consent", org=space.slug, account_id=account.pk)
        # follow: the authorisation must come from the account it is for
        owner = services.identity_owner(done.identity)
        if owner is None or owner.pk != request.user.pk:
            raise services.SignInRefused(
                _("You authorised another account than the one of this space. Nothing changed.")
            )
        account = services.attach(request.user, space, done.identity)
        services.store_credentials(account, done.credentials)
        audit("people.follow_authorised", organisation=space, actor=request.user, obj=account)
        return redirect("people:follow", org=space.slug)
    except services.SignInRefused as exc:
        messages.error(request, str(exc))
        if request.user.is_authenticated and services.person_space_of(request.user):
            return redirect("people:journey", org=services.person_space_of(request.user).slug)  # type: ignore[union-attr]
        return redirect("people:signin")


def _has_consent(account: ConnectedAccount) -> bool:
    from envol.crosswalk.models import SelfLinkConsent

    return SelfLinkConsent.objects.filter(connected_account=account).exists()


@require_GET
def bluesky_callback(request: HttpRequest) -> HttpResponse:
    return _finish(request, signin.finish_bluesky)


@require_GET
def mastodon_callback(request: HttpRequest) -> HttpResponse:
    return _finish(request, signin.finish_mastodon)


@require_GET
def client_metadata(request: HttpRequest) -> HttpResponse:
    """envol's AT Protocol OAuth client metadata document (its client id when confidential)."""
    response = JsonResponse(signin.bluesky_client().metadata())
    response["Cache-Control"] = "public, max-age=600"
    return response


# --- the journey ----------------------------------------------------------------------------------


def _latest_import(org: Organisation) -> ArchiveImport | None:
    return ArchiveImport.objects.filter(organisation=org).order_by("-pk").first()


def _found_counts(archive: ArchiveImport | None) -> dict[str, dict[str, int]]:
    """Network → how many accounts followed on X were found there, and how many are chosen."""
    found: dict[str, dict[str, int]] = {n: {"found": 0, "chosen": 0} for n, _label in NETWORKS}
    if archive is None:
        return found
    rows = (
        Match.objects.filter(archive_import=archive, kind="following", band__in=["auto", "review"])
        .values_list("network", "decision")
        .annotate(n=Count("id"))
    )
    for network, decision, n in rows:
        entry = found.setdefault(network, {"found": 0, "chosen": 0})
        entry["found"] += n
        if decision == Decision.ACCEPTED:
            entry["chosen"] += n
    return found


@person_view
def journey(request: HttpRequest, org: Organisation) -> HttpResponse:
    from envol.migration.models import MigrationJob

    archive = _latest_import(org)
    news = services.unseen_news(org)
    services.mark_news_seen(org)
    accounts = list(ConnectedAccount.objects.filter(organisation=org).order_by("network"))
    jobs = list(MigrationJob.objects.filter(organisation=org).order_by("-pk")[:4])
    counts = _found_counts(archive if archive and archive.state == "done" else None)
    follow_up = ArchiveFollowUp.objects.filter(archive_import=archive).first() if archive else None
    waiting = (ArchiveFollowUp.State.WAITING, ArchiveFollowUp.State.READY)
    matching = follow_up is not None and follow_up.state in waiting
    running = matching or (archive is not None and not archive.is_finished)
    return render(
        request,
        "people/journey.html",
        {
            "org": org,
            "archive": archive,
            "found": [(label, counts[network]) for network, label in NETWORKS if network in counts],
            "news": [(dict(NETWORKS).get(n, n), count) for n, count in sorted(news.items())],
            "accounts": accounts,
            "jobs": jobs,
            "matching": matching,
            "refresh": REFRESH_SECONDS if running else None,
        },
    )


class PersonUploadForm(UploadForm):
    """Only the archive: a person's upload keeps nothing once read."""

    keep_archive = None  # type: ignore[assignment]
    keep_media = None  # type: ignore[assignment]


@csrf_exempt  # the size limit must be in place before the CSRF check reads the body…
@person_view
def archive_upload(request: HttpRequest, org: Organisation) -> HttpResponse:
    limit = SizeLimitHandler(request)
    request.upload_handlers.insert(0, limit)
    return _archive_upload(request, org, limit)


@csrf_protect  # …so the CSRF check happens here, once the handler is in place
def _archive_upload(
    request: HttpRequest, org: Organisation, limit: SizeLimitHandler
) -> HttpResponse:
    from envol.portability.views import received_upload

    status = 200
    if request.method == "POST":
        form = PersonUploadForm(request.POST, request.FILES)
        with transaction.atomic():  # the import and its follow-up reach the workers together
            archive_import, status = received_upload(request, org, form, limit)
            if archive_import is not None:
                services.follow_up(archive_import)
        if archive_import is not None:
            return redirect("people:journey", org=org.slug)
    else:
        form = PersonUploadForm()
    return render(
        request,
        "people/archive.html",
        {"org": org, "form": form, "too_large": too_large_message()},
        status=status,
    )


@person_view
def found(request: HttpRequest, org: Organisation) -> HttpResponse:
    """Who you follow that is already here: choose whom to follow again."""
    archive = _latest_import(org)
    if archive is None or archive.state != ArchiveImport.State.DONE:
        return redirect("people:journey", org=org.slug)
    matches = Match.objects.filter(
        archive_import=archive, kind="following", band__in=["auto", "review"]
    ).order_by("network", "remote_handle", "remote_id")
    if request.method == "POST":
        chosen = {int(pk) for pk in request.POST.getlist("chosen") if pk.isdigit()}
        shown = {int(pk) for pk in request.POST.getlist("shown") if pk.isdigit()}
        from envol.crosswalk.services import decide

        decide(org, sorted(shown & chosen), Decision.ACCEPTED, request.user)
        decide(org, sorted(shown - chosen), Decision.REJECTED, request.user)
        messages.success(request, _("Your choice is saved."))
        return redirect("people:follow", org=org.slug)
    by_network = [
        (label, [m for m in matches if m.network == network]) for network, label in NETWORKS
    ]
    return render(
        request,
        "people/found.html",
        {"org": org, "by_network": [(label, rows) for label, rows in by_network if rows]},
    )


@dataclass(frozen=True)
class FollowRow:
    network: str
    label: str
    account: ConnectedAccount | None
    authorised: bool
    chosen: int
    job: Any  # the network's last MigrationJob, if any


@person_view
def follow(request: HttpRequest, org: Organisation) -> HttpResponse:
    """Follow them: per network, authorise envol (once), then start the migration."""
    from envol.migration import services as migration
    from envol.migration.models import MigrationJob

    archive = _latest_import(org)
    counts = _found_counts(archive if archive and archive.state == "done" else None)
    rows = []
    for network, label in NETWORKS:
        account = ConnectedAccount.objects.filter(organisation=org, network=network).first()
        job = MigrationJob.objects.filter(organisation=org, network=network).order_by("-pk").first()
        rows.append(
            FollowRow(
                network,
                label,
                account,
                account is not None and services.can_follow(account),
                counts.get(network, {}).get("chosen", 0),
                job,
            )
        )
    if request.method == "POST":
        row = next((r for r in rows if r.network == request.POST.get("network")), None)
        if row is None or row.account is None or archive is None:
            raise Http404
        if request.POST.get("action") == "authorise":
            return _authorise_follow(request, row.account)
        try:
            job = migration.create_job(
                org, archive.pk, row.account, row.network, actor=request.user
            )
        except migration.MigrationError as exc:
            messages.error(request, str(exc))
            return redirect("people:follow", org=org.slug)
        migration.start(job)
        return redirect("migration:detail", org=org.slug, job_id=job.pk)
    return render(request, "people/follow.html", {"org": org, "rows": rows})


def _authorise_follow(request: HttpRequest, account: ConnectedAccount) -> HttpResponse:
    try:
        if account.network == "bluesky":
            url = signin.begin_bluesky(request, account.handle, "follow")
        else:
            url = signin.begin_mastodon(request, account.instance_url, "follow")
    except services.SignInRefused as exc:
        messages.error(request, str(exc))
        return redirect("people:follow", org=account.organisation.slug)
    return redirect(url)


# --- accounts and consent -------------------------------------------------------------------------


@person_view
def accounts(request: HttpRequest, org: Organisation) -> HttpResponse:
    rows = [
        (account, services.consent_level(account))
        for account in ConnectedAccount.objects.filter(organisation=org).order_by("network")
    ]
    missing = [label for network, label in NETWORKS if network not in {a.network for a, _ in rows}]
    return render(
        request,
        "people/accounts.html",
        {
            "org": org,
            "rows": rows,
            "missing": missing,
            "bluesky": BlueskySignInForm(prefix="bluesky"),
            "mastodon": MastodonSignInForm(prefix="mastodon"),
        },
    )


@person_view
def consent(request: HttpRequest, org: Organisation, account_id: int) -> HttpResponse:
    account = get_object_or_404(ConnectedAccount, organisation=org, pk=account_id)
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            linked = services.set_consent(account, form.cleaned_data["level"], actor=request.user)
            messages.success(
                request,
                _("Saved. Your link is in envol's crosswalk.") if linked else _("Saved."),
            )
            return redirect("people:journey", org=org.slug)
    else:
        form = ConsentForm(initial={"level": services.consent_level(account)})
    return render(
        request,
        "people/consent.html",
        {"org": org, "account": account, "form": form, "help": list(LEVEL_HELP.items())},
    )


@person_view
def email(request: HttpRequest, org: Organisation) -> HttpResponse:
    space, _created = PersonSpace.objects.get_or_create(organisation=org)
    if request.method == "POST":
        form = EmailForm(request.POST)
        if form.is_valid():
            space.email = form.cleaned_data["email"]
            space.weekly_digest = form.cleaned_data["weekly_digest"]
            space.language = translation.get_language() or ""
            with transaction.atomic():
                space.save()
                digest.schedule(space)
            messages.success(request, _("Saved."))
            return redirect("people:journey", org=org.slug)
    else:
        form = EmailForm(initial={"email": space.email, "weekly_digest": space.weekly_digest})
    return render(request, "people/email.html", {"org": org, "form": form})


# --- data rights ----------------------------------------------------------------------------------


@person_view
def data(request: HttpRequest, org: Organisation) -> HttpResponse:
    return render(request, "people/data.html", {"org": org, "form": DeleteForm()})


@person_view
def download(request: HttpRequest, org: Organisation) -> StreamingHttpResponse:
    audit("people.data_exported", organisation=org, actor=request.user)
    response = StreamingHttpResponse(
        rights.export_chunks(org, request.user), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="envol-my-data.json"'
    return response


@person_view
@require_POST
def delete(request: HttpRequest, org: Organisation) -> HttpResponse:
    form = DeleteForm(request.POST)
    if not form.is_valid():
        return render(request, "people/data.html", {"org": org, "form": form}, status=400)
    user = request.user
    rights.delete_space(org, user)
    from django.contrib.auth import logout

    logout(request)
    messages.success(request, _("Your space and everything envol held about you are deleted."))
    return redirect(reverse("people:signin"))
