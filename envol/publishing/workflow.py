"""The publishing desk's workflow: who may move a post, and when it goes out.

`draft → in_review → approved → scheduled → publishing → done | partial | failed`, plus
`rejected` (with the reviewer's comment) and `cancelled` — the moves are declared on the post's
state machine (`models.POST_MACHINE`); this module decides who may make them. Every refusal is a
`DeskError` raised here, whatever the door (web, CLI, Django admin): the rules live in one place.

- **Nobody approves their own post, admins included**: not its author, not its last editor.
- Approval is required when the organisation says so (`review_policy`; by default when one of
  its members has the Reviewer role). An admin may publish without it only through an audited
  *urgent publication* with a reason, which another member confirms afterwards.
- A post goes out at its planned time (now when it has none) exactly once: it waits in
  `scheduled` with its due time at the planned time, and the job engine moves it to
  `publishing`. Found too late (workers down), it is held back in `approved` and says so.
- A post pending review, or approved and not published, for `ENVOL_DESK_EXPIRY_DAYS` expires.
- Any edit (text, targets, time) of an approved or scheduled post sends it back to review,
  unless the one who changes the time could approve it.

Every move is in the audit log (`on_transition`), with who, when and from which state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from envol.jobs.kinds import Outcome, Step, later, to
from envol.jobs.transitions import move
from envol.orgs.models import Membership, Organisation, Role
from envol.orgs.services import audit
from envol.publishing import preview as previews
from envol.publishing.models import EDITABLE, Note, Post, PostComment, PostState, Publication

log = logging.getLogger(__name__)
S = PostState


class DeskError(Exception):
    """A refused move, said to the person who tried it (translated)."""


# --------------------------------------------------------------------------- who may do what


def approval_required(org: Organisation) -> bool:
    policy = org.review_policy
    if policy == Organisation.ReviewPolicy.ALWAYS:
        return True
    if policy == Organisation.ReviewPolicy.NEVER:
        return False
    return Membership.objects.filter(organisation=org, role=Role.REVIEWER).exists()


def membership_of(actor: Any, org: Organisation) -> Membership | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return Membership.objects.filter(organisation=org, user=actor).first()


def _require(actor: Any, org: Organisation, role: str) -> Membership:
    found = membership_of(actor, org)
    if found is None or not found.can(role):
        raise DeskError(_("You do not have the role this needs in this organisation."))
    return found


def approval_refusal(post: Post, actor: Any) -> str:
    """Why `actor` may not approve `post` ("" when they may). The rule of the desk: nobody
    approves their own post — neither its author nor its last editor, admins included."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return _("Say who approves: an approval is always somebody's.")
    found = membership_of(actor, post.organisation)
    if found is None or not found.can(Role.REVIEWER):
        return _("Only reviewers, editors and administrators approve posts.")
    if actor.pk in (post.author_id, post.last_edited_by_id):
        return _("Nobody approves their own post: another member must review it.")
    if post.state != S.IN_REVIEW:
        return _("Only a post in review can be approved.")
    return ""


def may_approve(post: Post, actor: Any) -> bool:
    return not approval_refusal(post, actor)


def _deadline(now: datetime) -> datetime:
    return now + timedelta(days=settings.ENVOL_DESK_EXPIRY_DAYS)


def late_after() -> timedelta:
    return timedelta(minutes=settings.ENVOL_DESK_LATE_MINUTES)


def missed(post: Post, now: datetime) -> bool:
    """An approved post whose planned time passed: it will not go out by itself."""
    return bool(
        post.state == S.APPROVED and post.planned_at and post.planned_at + late_after() < now
    )


# --------------------------------------------------------------------------- checks and rows


def draft_of(post: Post) -> previews.Draft:
    """The post as the preview sees it (its targets, images and overrides)."""
    images = []
    for media in post.media.all():
        path = Path(media.path)
        size = path.stat().st_size if path.is_file() else 0
        images.append(previews.Image(path.name, media.mime_type, size, media.alt_text))
    return previews.Draft(
        text=post.text,
        targets=list(post.targets.order_by("network", "handle")),
        content_warning=post.content_warning,
        lang=post.lang,
        link_url=post.link_url,
        link_card=post.link_card,
        images=images,
        overrides=dict(post.overrides),
        numbering=post.numbering,
        short_links=post.use_short_links,
    )


def check(post: Post) -> previews.Preview:
    """The post's preview; a post with publication rows already (made by the command line or
    another app) is checked on its targets only."""
    return previews.preview(draft_of(post), rewrite=_placeholder_links(post))


def _placeholder_links(post: Post) -> previews.Rewrite | None:
    if not post.use_short_links:
        return None
    from envol.insights.shortlinks import VariantLinks

    return VariantLinks(post.organisation, dry_run=True).rewrite


def _refuse_problems(post: Post) -> None:
    problems = check(post).blocking
    if problems:
        raise DeskError(
            _("This post cannot go out as it is: %(problems)s") % {"problems": " ".join(problems)}
        )


def materialise(post: Post) -> None:
    """Make the publication rows (one per account and part, each with its idempotency key)
    from the post as previewed, with real short links. Rows made earlier (by the command line,
    another app, or an earlier scheduling of the same text) are kept: their keys stand."""
    if post.publications.exists():
        return
    from envol.publishing.services import new_key

    rewrite = None
    links = None
    if post.use_short_links:
        from envol.insights.shortlinks import VariantLinks

        links = VariantLinks(post.organisation)
        for link in post.short_links.all():
            links.links[(link.platform, link.target_url)] = link
        rewrite = links.rewrite
    found = previews.preview(draft_of(post), rewrite=rewrite)
    if found.blocking:
        raise DeskError(" ".join(found.blocking))
    for item in found.accounts:
        for index, part in enumerate(item.parts):
            Publication.objects.create(
                post=post,
                account=item.account,
                network=item.account.network,
                part_index=index,
                part_count=len(item.parts),
                text=part.text,
                idempotency_key=new_key(item.account),
            )
    if links is not None:
        links.attach(post)


def _forget_rows(post: Post) -> None:
    """An edit before publishing: the rows (never sent: the post never reached `publishing`)
    are made again from the new text when it is scheduled."""
    if post.publications.exclude(state=Publication.State.PENDING).exists():
        raise DeskError(_("Part of this post has gone out already: it can no longer be edited."))
    post.publications.all().delete()


# --------------------------------------------------------------------------- the moves


def _move(post: Post, state: str, actor: Any, now: datetime, **kwargs: Any) -> None:
    if not move(post, state, actor=actor, now=now, **kwargs):
        raise DeskError(
            _("This post changed meanwhile (it is now: %(state)s); reload the page.")
            % {"state": post.get_state_display()}
        )


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


@transaction.atomic
def submit_for_review(post: Post, actor: Any = None, *, now: datetime | None = None) -> Post:
    """Ask another member to approve `post` (a draft or a rejected post; a post already in
    review stays as it is). `actor` None: a post made by envol itself (a relay); otherwise an
    editor of the organisation. Reviewers get an email and see it in their list.

    The desk's stable entry point for other apps (e.g. relays in approval mode)."""
    now = _now(now)
    if post.state == S.IN_REVIEW:
        return post
    if actor is not None:
        _require(actor, post.organisation, Role.EDITOR)
    _refuse_problems(post)
    _move(post, S.IN_REVIEW, actor, now, at=_deadline(now), fields={"note": ""})
    transaction.on_commit(lambda: notify_reviewers(post, actor))
    return post


def _release(post: Post, actor: Any, now: datetime) -> None:
    """An approved post (or one needing no approval) goes out at its time: scheduled, with its
    publication rows made now; or it stays approved when its time has passed."""
    if post.planned_at and post.planned_at + late_after() < now:
        if post.state != S.APPROVED:
            _move(post, S.APPROVED, actor, now, at=_deadline(now), fields={"note": Note.MISSED})
        elif post.note != Note.MISSED:
            Post.objects.filter(pk=post.pk).update(note=Note.MISSED)
            post.note = Note.MISSED
        return
    materialise(post)
    _move(post, S.SCHEDULED, actor, now, at=post.planned_at or now, fields={"note": ""})


def approve(post: Post, actor: Any, *, now: datetime | None = None) -> Post:
    """A reviewer approves: the post is scheduled at its planned time (now when it has none).
    Refused to the post's author and last editor, whoever they are; the refusal is audited
    (outside the approval's transaction, so that it stays)."""
    refusal = approval_refusal(post, actor)
    if refusal:
        audit(
            "post.approval_refused",
            organisation=post.organisation,
            actor=actor,
            obj=post,
            reason=refusal,
        )
        raise DeskError(refusal)
    return _approve(post, actor, _now(now))


@transaction.atomic
def _approve(post: Post, actor: Any, now: datetime) -> Post:
    """The move itself: conditional on the state read, so a post that moved meanwhile is
    refused by `_move`."""
    _move(
        post,
        S.APPROVED,
        actor,
        now,
        at=_deadline(now),
        fields={"reviewed_by": actor, "reviewed_at": now, "note": ""},
    )
    post.reviewed_by, post.reviewed_at = actor, now
    _release(post, actor, now)
    return post


@transaction.atomic
def reject(post: Post, actor: Any, comment: str, *, now: datetime | None = None) -> Post:
    """A reviewer sends the post back with a comment saying why (required)."""
    now = _now(now)
    if not comment.strip():
        raise DeskError(_("Say why: the author needs the reviewer's comment."))
    refusal = approval_refusal(post, actor)
    if refusal:
        raise DeskError(refusal)
    _move(post, S.REJECTED, actor, now, fields={"reviewed_by": actor, "reviewed_at": now})
    PostComment.objects.create(
        post=post, author=actor, body=comment.strip(), rejection=True, created_at=now
    )
    return post


@transaction.atomic
def publish(post: Post, actor: Any, *, now: datetime | None = None) -> Post:
    """ "Publish" or "Schedule" when the organisation requires no approval: the post goes out at
    its planned time (now when it has none). An approved post whose time passed gets the same
    button once its time is changed (see `reschedule`) or cleared."""
    now = _now(now)
    _require(actor, post.organisation, Role.EDITOR)
    if post.state == S.APPROVED and not missed(post, now):
        _release(post, actor, now)
        return post
    if post.state != S.DRAFT and post.state != S.REJECTED:
        raise DeskError(_("Only a draft can be published or scheduled this way."))
    if approval_required(post.organisation):
        raise DeskError(
            _("This organisation requires another member's approval: submit the post for review.")
        )
    _refuse_problems(post)
    if post.state == S.REJECTED:
        _move(post, S.DRAFT, actor, now)
    _release(post, actor, now)
    return post


@transaction.atomic
def reschedule(
    post: Post, actor: Any, planned_at: datetime | None, *, now: datetime | None = None
) -> Post:
    """Change the planned time (the calendar's form and drag). Before approval it only moves
    the time. An approved or scheduled post keeps its approval when the one who moves it could
    approve it; otherwise it goes back to review."""
    now = _now(now)
    _require(actor, post.organisation, Role.EDITOR)
    if post.state not in EDITABLE:
        raise DeskError(_("This post can no longer be changed."))
    previous = post.planned_at
    Post.objects.filter(pk=post.pk).update(planned_at=planned_at)
    post.planned_at = planned_at
    audit(
        "post.reschedule",
        organisation=post.organisation,
        actor=actor,
        obj=post,
        state=post.state,
        previous=previous.isoformat() if previous else None,
        planned_at=planned_at.isoformat() if planned_at else None,
    )
    if post.state in (S.APPROVED, S.SCHEDULED):
        keeps = not approval_required(post.organisation) or (
            actor.pk not in (post.author_id, post.last_edited_by_id)
            and (m := membership_of(actor, post.organisation)) is not None
            and m.can(Role.REVIEWER)
        )
        if keeps:
            if post.state == S.SCHEDULED and planned_at and planned_at + late_after() >= now:
                _move(post, S.SCHEDULED, actor, now, at=planned_at)  # a new due time
            elif post.state == S.SCHEDULED:
                _move(post, S.APPROVED, actor, now, at=_deadline(now))
                _release(post, actor, now)
            else:
                _release(post, actor, now)
        else:
            _back_to_review(post, actor, now)
    return post


def _back_to_review(post: Post, actor: Any, now: datetime) -> None:
    if approval_required(post.organisation):
        _move(post, S.IN_REVIEW, actor, now, at=_deadline(now), fields={"note": ""})
        transaction.on_commit(lambda: notify_reviewers(post, actor))
    else:
        _move(post, S.DRAFT, actor, now, fields={"note": ""})


@transaction.atomic
def edited(post: Post, actor: Any, *, now: datetime | None = None) -> Post:
    """Called after an edit of the text, targets, images or overrides has been saved: a
    rejected post becomes a draft again; an approved or scheduled one goes back to review (its
    publication rows, never sent, are made again when it is scheduled)."""
    now = _now(now)
    Post.objects.filter(pk=post.pk).update(last_edited_by=actor)
    post.last_edited_by = actor
    if post.state == S.REJECTED:
        _move(post, S.DRAFT, actor, now)
    elif post.state in (S.APPROVED, S.SCHEDULED):
        _forget_rows(post)
        _back_to_review(post, actor, now)
    elif post.state in (S.DRAFT, S.IN_REVIEW):
        _forget_rows(post)
    return post


@transaction.atomic
def withdraw(post: Post, actor: Any, *, now: datetime | None = None) -> Post:
    """The author takes a post back from review to change it."""
    _require(actor, post.organisation, Role.EDITOR)
    _move(post, S.DRAFT, actor, _now(now))
    return post


@transaction.atomic
def cancel(post: Post, actor: Any, *, now: datetime | None = None) -> Post:
    """Drop a post that has not gone out (kept, with its history, as cancelled)."""
    _require(actor, post.organisation, Role.EDITOR)
    if post.state not in EDITABLE:
        raise DeskError(_("This post can no longer be cancelled."))
    _move(post, S.CANCELLED, actor, _now(now))
    return post


@transaction.atomic
def urgent_publish(post: Post, actor: Any, reason: str, *, now: datetime | None = None) -> Post:
    """An administrator publishes at once, without approval (crisis communication: a flood),
    saying why. Audited; another member confirms afterwards (`confirm_urgent`)."""
    now = _now(now)
    _require(actor, post.organisation, Role.ADMIN)
    if not reason.strip():
        raise DeskError(_("An urgent publication needs its reason."))
    if post.state not in (S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED):
        raise DeskError(_("Only a post that has not gone out can be published urgently."))
    _refuse_problems(post)
    materialise(post)
    fields = {"note": Note.URGENT, "urgent_reason": reason.strip(), "urgent_by": actor}
    _move(post, S.PUBLISHING, actor, now, fields=fields, urgent=True, reason=reason.strip())
    transaction.on_commit(lambda: notify_reviewers(post, actor, urgent=True))
    return post


@transaction.atomic
def confirm_urgent(post: Post, actor: Any, *, now: datetime | None = None) -> Post:
    """A second person confirms an urgent publication: not the administrator who made it."""
    now = _now(now)
    if not post.urgent_by_id:
        raise DeskError(_("This post was not published urgently."))
    if post.urgent_confirmed_at is not None:
        raise DeskError(_("This urgent publication is confirmed already."))
    _require(actor, post.organisation, Role.REVIEWER)
    if actor.pk == post.urgent_by_id:
        raise DeskError(_("Another member must confirm an urgent publication."))
    Post.objects.filter(pk=post.pk).update(urgent_confirmed_by=actor, urgent_confirmed_at=now)
    post.urgent_confirmed_by, post.urgent_confirmed_at = actor, now
    audit("post.urgent_confirmed", organisation=post.organisation, actor=actor, obj=post)
    return post


def comment(
    post: Post,
    actor: Any,
    body: str,
    *,
    reply_to: PostComment | None = None,
    now: datetime | None = None,
) -> PostComment:
    _require(actor, post.organisation, Role.REVIEWER)
    if not body.strip():
        raise DeskError(_("The comment is empty."))
    if reply_to is not None and reply_to.post_id != post.pk:
        raise DeskError(_("That comment belongs to another post."))
    return PostComment.objects.create(
        post=post, author=actor, body=body.strip(), reply_to=reply_to, created_at=_now(now)
    )


# --------------------------------------------------------------------------- engine handlers


def due_step(post: Post, step: Step) -> Outcome:
    """A scheduled post at its due time: publish it (the next step sends it, exactly once), or
    hold it back when found too late — never a silent late post."""
    if post.planned_at and post.planned_at + late_after() < step.now:
        return to(S.APPROVED, at=_deadline(step.now), fields={"note": Note.MISSED}, late=True)
    return to(S.PUBLISHING)


def deadline_step(post: Post, step: Step) -> Outcome:
    """A post pending review, or approved and not published, expires after its deadline."""
    since = post.state_changed_at or post.created_at
    deadline = _deadline(since)
    if step.now < deadline:
        return later(deadline)
    return to(S.CANCELLED, fields={"note": Note.EXPIRED}, expired=True)


def on_transition(post: Post, previous: str, actor: Any, detail: Mapping[str, Any]) -> None:
    """Every move of a post in the audit log: who (none: envol itself), from which state, to
    which; `at` is when."""
    audit(
        "post.transition",
        organisation=post.organisation,
        actor=actor,
        obj=post,
        **{"from": previous, "to": post.state},
        **{k: v for k, v in detail.items() if isinstance(v, str | int | bool | dict)},
    )


# --------------------------------------------------------------------------- notifications


def reviewers_of(post: Post) -> list[Any]:
    """Who may approve `post`: members with a reviewing role, neither its author nor its last
    editor."""
    rows = Membership.objects.filter(
        organisation=post.organisation, role__in=(Role.REVIEWER, Role.EDITOR, Role.ADMIN)
    ).select_related("user")
    excluded = {post.author_id, post.last_edited_by_id}
    return [m.user for m in rows if m.user_id not in excluded and m.user.email]


def notify_reviewers(post: Post, actor: Any, urgent: bool = False) -> int:
    """An email to each possible reviewer (in French, the interface's default language)."""
    recipients = [u.email for u in reviewers_of(post) if not actor or u.pk != actor.pk]
    if not recipients:
        return 0
    url = settings.PUBLIC_URL + reverse(
        "publishing:post", kwargs={"org": post.organisation.slug, "post_id": post.pk}
    )
    with translation.override(settings.LANGUAGE_CODE):
        if urgent:
            subject = _("Urgent publication to confirm: %(org)s") % {"org": post.organisation}
            body = _(
                "%(who)s published a post without approval, saying: %(reason)s\n\n"
                "Confirm it or comment on it: %(url)s"
            ) % {"who": actor, "reason": post.urgent_reason, "url": url}
        else:
            subject = _("A post to review: %(org)s") % {"org": post.organisation}
            body = _("%(text)s\n\nReview it: %(url)s") % {"text": post.text[:500], "url": url}
    try:
        return send_mail(subject, body, None, recipients)
    except OSError as exc:  # an email server down must not undo the submission
        log.warning("review notification for post %s not sent: %s", post.pk, exc)
        return 0
