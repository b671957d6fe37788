"""The publishing desk's pages: posts, composer (with its live preview endpoint), a post with
its actions, comments and history, the review list, the calendar and its iCalendar feed, the
published posts, and the audit log as CSV. Every decision is the workflow's
(`publishing/workflow.py`); a view only shows what the workflow would allow."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envol.orgs.models import AuditEvent, Role
from envol.orgs.models import Network as NetworkChoice
from envol.orgs.services import org_view
from envol.publishing import calendar as desk_calendar
from envol.publishing import preview as previews
from envol.publishing import workflow
from envol.publishing.compose import local_to_utc, save_post, utc_to_local, zone_of
from envol.publishing.forms import (
    CommentForm,
    ComposeForm,
    RejectForm,
    RescheduleForm,
    UrgentForm,
)
from envol.publishing.models import EDITABLE, PUBLISHED, Post, PostComment, PostMedia, PostState
from envol.publishing.workflow import DeskError

S = PostState
PAGE_SIZE = 50


def _org(request: HttpRequest) -> Any:
    return request.organisation  # type: ignore[attr-defined]


def _can(request: HttpRequest, role: str) -> bool:
    return bool(request.membership.can(role))  # type: ignore[attr-defined]


def _post(request: HttpRequest, post_id: int) -> Post:
    return get_object_or_404(
        Post.objects.select_related("author", "organisation"),
        pk=post_id,
        organisation=_org(request),
    )


# --------------------------------------------------------------------------- lists


@org_view()
def index(request: HttpRequest) -> HttpResponse:
    """Every post of the organisation, newest first, filtered by state."""
    org = _org(request)
    state = request.GET.get("state", "")
    rows = Post.objects.filter(organisation=org).select_related("author")
    if state in S.values:
        rows = rows.filter(state=state)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    posts = list(rows.prefetch_related("targets")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    return render(
        request,
        "publishing/index.html",
        {
            "org": org,
            "posts": posts[:PAGE_SIZE],
            "state": state,
            "states": S.choices,
            "page": page,
            "has_next": len(posts) > PAGE_SIZE,
            "can_write": _can(request, Role.EDITOR),
            "to_review": _to_review(request).count(),
            "approval_required": workflow.approval_required(org),
        },
    )


def _to_review(request: HttpRequest) -> Any:
    user: Any = request.user
    return (
        Post.objects.filter(organisation=_org(request), state=S.IN_REVIEW)
        .exclude(author=user)
        .exclude(last_edited_by=user)
    )


@org_view(min_role=Role.REVIEWER)
def review(request: HttpRequest) -> HttpResponse:
    """A reviewer's list: posts waiting for their approval (never their own) and urgent
    publications to confirm."""
    org = _org(request)
    user: Any = request.user
    return render(
        request,
        "publishing/review.html",
        {
            "org": org,
            "posts": _to_review(request).select_related("author").prefetch_related("targets"),
            "own": Post.objects.filter(organisation=org, state=S.IN_REVIEW).filter(author=user),
            "urgent": Post.objects.filter(
                organisation=org, urgent_by__isnull=False, urgent_confirmed_at__isnull=True
            ).exclude(urgent_by=user),
        },
    )


@org_view()
def published(request: HttpRequest) -> HttpResponse:
    """Published posts with their public addresses per network and, where insights measured
    them, their latest counts."""
    from envol.insights.models import MetricChoice
    from envol.insights.services import latest_publication_values

    org = _org(request)
    posts = list(
        Post.objects.filter(organisation=org, state__in=PUBLISHED)
        .order_by("-finished_at", "-pk")
        .prefetch_related("publications__account")[:PAGE_SIZE]
    )
    values = latest_publication_values(
        p.pk for post in posts for p in post.publications.all() if p.part_index == 0
    )
    rows = []
    for post in posts:
        copies = []
        for pub in post.publications.all():
            if pub.part_index == 0:
                measured = values.get(pub.pk, {})
                labels = {
                    m: MetricChoice(m).label if m in MetricChoice.values else m for m in measured
                }
                copies.append(
                    {"publication": pub, "values": {labels[m]: v for m, v in measured.items()}}
                )
        rows.append({"post": post, "copies": copies})
    return render(request, "publishing/published.html", {"org": org, "rows": rows})


# --------------------------------------------------------------------------- composer


@org_view(min_role=Role.EDITOR)
def compose(request: HttpRequest, post_id: int | None = None) -> HttpResponse:
    """Write or change a post. Buttons: preview (saves the draft and shows each network's
    variant: the page without JavaScript), save, submit for review, publish or schedule (when
    the organisation requires no approval)."""
    org = _org(request)
    post = _post(request, post_id) if post_id else None
    if post is not None and post.state not in EDITABLE:
        messages.info(request, _("This post can no longer be changed."))
        return redirect("publishing:post", org=org.slug, post_id=post.pk)
    form = ComposeForm(request.POST or None, request.FILES or None, org=org, post=post)
    action = request.POST.get("action", "preview")
    if request.method == "POST" and form.is_valid():
        try:
            post = save_post(org, request.user, form.to_input(), post)
            if action == "submit":
                workflow.submit_for_review(post, request.user)
                messages.success(request, _("Submitted: the reviewers are told."))
                return redirect("publishing:post", org=org.slug, post_id=post.pk)
            if action == "publish":
                workflow.publish(post, request.user)
                messages.success(request, _("The post will go out at its time."))
                return redirect("publishing:post", org=org.slug, post_id=post.pk)
        except DeskError as exc:
            messages.error(request, str(exc))
            if post is None or post.pk is None:
                return _compose_page(request, form, None)
        else:
            messages.success(request, _("Draft saved."))
        return redirect(
            reverse("publishing:edit", kwargs={"org": org.slug, "post_id": post.pk}) + "#preview"
        )
    return _compose_page(request, form, post)


def _compose_page(request: HttpRequest, form: ComposeForm, post: Post | None) -> HttpResponse:
    org = _org(request)
    found = workflow.check(post) if post is not None else None
    return render(
        request,
        "publishing/compose.html",
        {
            "org": org,
            "form": form,
            "post": post,
            "preview": found,
            "approval_required": workflow.approval_required(org),
            "zone": zone_of(org).key,
        },
    )


@org_view(min_role=Role.EDITOR)
@require_POST
def live_preview(request: HttpRequest) -> HttpResponse:
    """The composer's live preview: the form as it stands (images: those saved), previewed by
    the server's rules, as the same HTML fragment the page shows."""
    org = _org(request)
    post = None
    if request.POST.get("post_id", "").isdigit():
        post = _post(request, int(request.POST["post_id"]))
    form = ComposeForm(request.POST, org=org, post=post)
    form.is_valid()  # partial data is previewed as it is
    data = form.cleaned_data
    images = []
    if post is not None:
        for media in post.media.all():
            if data.get(f"remove_{media.pk}"):
                continue
            alt = data.get(f"alt_{media.pk}", media.alt_text)
            images.append(_image(media, alt))
    draft = previews.Draft(
        text=data.get("text", "") or "",
        targets=list(data.get("targets") or []),
        content_warning=data.get("content_warning", "") or "",
        lang=data.get("lang") or "fr",
        link_url=data.get("link_url", "") or "",
        link_card=_live_card(data.get("link_url", "") or "", post),
        images=images,
        overrides={n: data.get(f"override_{n}", "") or "" for n in form.networks},
        numbering=bool(data.get("numbering")),
        short_links=bool(data.get("use_short_links")),
    )
    rewrite = None
    if draft.short_links:
        from envol.insights.shortlinks import VariantLinks

        rewrite = VariantLinks(org, dry_run=True).rewrite
    found = previews.preview(draft, rewrite=rewrite)
    return render(request, "publishing/_preview.html", {"preview": found, "live": True})


def _live_card(url: str, post: Post | None) -> dict[str, Any]:
    """The saved card when the link is unchanged; a new link is fetched (cached an hour)."""
    if not url:
        return {}
    if post is not None and post.link_url == url and post.link_card:
        return dict(post.link_card)
    from envol.publishing.cards import fetch_card

    return fetch_card(url)


def _image(media: PostMedia, alt: str) -> previews.Image:
    from pathlib import Path

    path = Path(media.path)
    size = path.stat().st_size if path.is_file() else 0
    return previews.Image(path.name, media.mime_type, size, alt)


@org_view()
def media(request: HttpRequest, media_id: int) -> Any:
    """An image of a post, for the members (the composer's and the preview's thumbnails)."""
    from pathlib import Path

    found = get_object_or_404(PostMedia, pk=media_id, post__organisation=_org(request))
    path = Path(found.path)
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=found.mime_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --------------------------------------------------------------------------- one post


@org_view()
def post_page(request: HttpRequest, post_id: int) -> HttpResponse:
    org = _org(request)
    post = _post(request, post_id)
    now = timezone.now()
    user = request.user
    editor = _can(request, Role.EDITOR)
    refusal = workflow.approval_refusal(post, user)
    history = (
        AuditEvent.objects.filter(
            organisation=org, object_type="publishing.Post", object_id=str(post.pk)
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    comments = list(post.comments.select_related("author"))
    return render(
        request,
        "publishing/post.html",
        {
            "org": org,
            "post": post,
            "preview": workflow.check(post) if post.state in EDITABLE else None,
            "publications": post.publications.select_related("account"),
            "local_planned": utc_to_local(org, post.planned_at) if post.planned_at else None,
            "zone": zone_of(org).key,
            "missed": workflow.missed(post, now),
            "history": history,
            "threads": _threads(comments),
            "comment_form": CommentForm(),
            "reject_form": RejectForm(),
            "urgent_form": UrgentForm(),
            "can_edit": editor and post.state in EDITABLE,
            "can_submit": editor and post.state in (S.DRAFT, S.REJECTED),
            "can_publish": editor
            and (
                (post.state in (S.DRAFT, S.REJECTED) and not workflow.approval_required(org))
                or (post.state == S.APPROVED and not workflow.missed(post, now))
            ),
            "can_approve": not refusal,
            "approval_refusal": refusal if post.state == S.IN_REVIEW else "",
            "can_withdraw": editor and post.state == S.IN_REVIEW,
            "can_cancel": editor and post.state in EDITABLE,
            "can_urgent": _can(request, Role.ADMIN)
            and post.state in (S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED),
            "can_confirm": bool(post.urgent_by_id)
            and post.urgent_confirmed_at is None
            and post.urgent_by_id != user.pk
            and _can(request, Role.REVIEWER),
            "can_comment": _can(request, Role.REVIEWER),
        },
    )


def _threads(comments: list[PostComment]) -> list[tuple[PostComment, list[PostComment]]]:
    """Top-level comments, each with its replies (a reply to a reply joins the same thread)."""
    by_id = {c.pk: c for c in comments}

    def root(comment: PostComment) -> int:
        while comment.reply_to_id and comment.reply_to_id in by_id:
            comment = by_id[comment.reply_to_id]
        return comment.pk

    threads: dict[int, list[PostComment]] = {c.pk: [] for c in comments if not c.reply_to_id}
    for comment in comments:
        if comment.reply_to_id:
            threads.setdefault(root(comment), []).append(comment)
    return [(by_id[pk], replies) for pk, replies in threads.items() if pk in by_id]


ACTIONS = {
    "submit": lambda post, request: workflow.submit_for_review(post, request.user),
    "approve": lambda post, request: workflow.approve(post, request.user),
    "publish": lambda post, request: workflow.publish(post, request.user),
    "withdraw": lambda post, request: workflow.withdraw(post, request.user),
    "cancel": lambda post, request: workflow.cancel(post, request.user),
    "confirm": lambda post, request: workflow.confirm_urgent(post, request.user),
}
DONE_MESSAGES = {
    "submit": _("Submitted: the reviewers are told."),
    "approve": _("Approved."),
    "publish": _("The post will go out at its time."),
    "withdraw": _("Back to draft."),
    "cancel": _("Cancelled."),
    "confirm": _("Urgent publication confirmed."),
}


@org_view(min_role=Role.REVIEWER)
@require_POST
def act(request: HttpRequest, post_id: int, action: str) -> HttpResponse:
    """A button of the post page. The workflow refuses what the person may not do (an approval
    of one's own post included), whatever the page showed."""
    post = _post(request, post_id)
    try:
        if action == "reject":
            form = RejectForm(request.POST)
            if not form.is_valid():
                raise DeskError(_("Say why: the author needs the reviewer's comment."))
            workflow.reject(post, request.user, form.cleaned_data["comment"])
            messages.success(request, _("Sent back to its author with your comment."))
        elif action == "urgent":
            urgent = UrgentForm(request.POST)
            if not urgent.is_valid():
                raise DeskError(_("An urgent publication needs its reason."))
            workflow.urgent_publish(post, request.user, urgent.cleaned_data["reason"])
            messages.success(request, _("Published urgently; another member will confirm it."))
        elif action in ACTIONS:
            ACTIONS[action](post, request)
            messages.success(request, str(DONE_MESSAGES[action]))
        else:
            raise Http404
    except DeskError as exc:
        return _refused(request, post, str(exc))
    return redirect("publishing:post", org=_org(request).slug, post_id=post.pk)


def _refused(request: HttpRequest, post: Post, reason: str) -> HttpResponse:
    """A refused action: 403, with the post's page address to go back to."""
    return render(
        request,
        "publishing/refused.html",
        {"org": _org(request), "post": post, "reason": reason},
        status=403,
    )


@org_view(min_role=Role.REVIEWER)
@require_POST
def add_comment(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post(request, post_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        reply_to = None
        if form.cleaned_data.get("reply_to"):
            reply_to = post.comments.filter(pk=form.cleaned_data["reply_to"]).first()
        try:
            workflow.comment(post, request.user, form.cleaned_data["body"], reply_to=reply_to)
        except DeskError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Comment added."))
    else:
        messages.error(request, _("The comment is empty."))
    return redirect(
        reverse("publishing:post", kwargs={"org": _org(request).slug, "post_id": post.pk})
        + "#comments"
    )


# --------------------------------------------------------------------------- calendar


def _anchor(request: HttpRequest, org: Any) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return utc_to_local(org, timezone.now()).date()


@org_view()
def calendar(request: HttpRequest) -> HttpResponse:
    """A week or a month of posts per day in the organisation's time zone, per network. Each
    post that may move has a small form (date, time) to move it; dragging it onto another day
    (desk.js) fills that form and sends it."""
    org = _org(request)
    view = "month" if request.GET.get("view") == "month" else "week"
    network = request.GET.get("network", "")
    if network not in NetworkChoice.values:
        network = ""
    anchor = _anchor(request, org)
    _start, _end, first, following = desk_calendar.period(view, anchor)
    step = timedelta(days=7) if view == "week" else None
    previous = anchor - step if step else (first - timedelta(days=1)).replace(day=1)
    upcoming = anchor + step if step else following
    shown = desk_calendar.days(org, view, anchor, network)
    feed = desk_calendar.live_feed(request.user, org)
    return render(
        request,
        "publishing/calendar.html",
        {
            "org": org,
            "view": view,
            "network": network,
            "networks": [(n, label) for n, label in NetworkChoice.choices if n != NetworkChoice.X],
            "anchor": anchor,
            "first": first,
            "last": (following - timedelta(days=1)),
            "weeks": [shown[i : i + 7] for i in range(0, len(shown), 7)],
            "previous": previous,
            "upcoming": upcoming,
            "today": utc_to_local(org, timezone.now()).date(),
            "zone": zone_of(org).key,
            "can_move": _can(request, Role.EDITOR),
            "movable": sorted(EDITABLE),
            "unscheduled": desk_calendar.unscheduled(org),
            "feed": feed,
            "feed_url": request.session.pop("desk_feed_url", ""),
        },
    )


@org_view(min_role=Role.EDITOR)
@require_POST
def reschedule(request: HttpRequest, post_id: int) -> HttpResponse:
    org = _org(request)
    post = _post(request, post_id)
    form = RescheduleForm(request.POST)
    back = request.POST.get("next", "")
    if not back.startswith(f"/o/{org.slug}/"):
        back = reverse("publishing:calendar", kwargs={"org": org.slug})
    if not form.is_valid():
        messages.error(request, _("Give a date and a time."))
        return redirect(back)
    try:
        planned = local_to_utc(
            org, form.cleaned_data["planned_date"], form.cleaned_data["planned_time"]
        )
        workflow.reschedule(post, request.user, planned)
    except DeskError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Moved to %(when)s.")
            % {"when": utc_to_local(org, planned).strftime("%d/%m/%Y %H:%M")},
        )
    return redirect(back)


@org_view()
@require_POST
def feed_new(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    token = desk_calendar.new_feed(request.user, org)
    request.session["desk_feed_url"] = request.build_absolute_uri(
        reverse("calendar_feed", kwargs={"token": token})
    )
    messages.success(request, _("Your calendar address is ready; any earlier one stopped working."))
    return redirect(reverse("publishing:calendar", kwargs={"org": org.slug}) + "#feed")


@org_view()
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    desk_calendar.revoke_feed(request.user, org)
    messages.success(request, _("Your calendar address no longer works."))
    return redirect(reverse("publishing:calendar", kwargs={"org": org.slug}) + "#feed")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed at a member's secret address (calendar apps do not sign in)."""
    feed = desk_calendar.feed_for_token(token)
    if feed is None:
        raise Http404
    response = HttpResponse(
        desk_calendar.ics(feed.organisation), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


# --------------------------------------------------------------------------- audit export


class _Echo:
    def write(self, value: str) -> str:
        return value


@org_view(min_role=Role.REVIEWER)
def audit_csv(request: HttpRequest) -> Any:
    """Every move of every post (and the desk's other audited actions) as CSV: when (UTC and
    local), who, which post, from which state to which, and the details."""
    org = _org(request)
    rows = (
        AuditEvent.objects.filter(organisation=org, action__startswith="post.")
        .select_related("actor")
        .order_by("at", "pk")
    )
    writer = csv.writer(_Echo())

    def lines() -> Any:
        yield writer.writerow(
            ["at_utc", "at_local", "actor", "action", "post", "from", "to", "detail"]
        )
        for event in rows.iterator():
            detail = dict(event.detail)
            yield writer.writerow(
                [
                    event.at.isoformat(),
                    utc_to_local(org, event.at).isoformat(),
                    event.actor.email if event.actor else "envol",
                    event.action,
                    event.object_id,
                    detail.pop("from", ""),
                    detail.pop("to", ""),
                    " ".join(f"{k}={v}" for k, v in sorted(detail.items())),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-desk-audit.csv"'
    return response
