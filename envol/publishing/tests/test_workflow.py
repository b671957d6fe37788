"""The desk's rules, one by one, with an injected clock: the moves and the illegal ones, nobody
approving their own post (admins included, web and command line alike go through these
functions), edits sending an approved post back to review, expiry, a missed planned time, the
audited urgent publication, and local times across the DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from envol.jobs.runner import step
from envol.orgs.models import AuditEvent, Organisation, Role
from envol.orgs.services import add_member
from envol.publishing import workflow
from envol.publishing.compose import PostInput, local_to_utc, save_post
from envol.publishing.models import Post, PostState
from envol.publishing.workflow import DeskError

pytestmark = pytest.mark.django_db
S = PostState
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def user(org: Organisation, role: str) -> Any:
    return add_member(org, f"{role}@brest.test", role).user


def written(org: Organisation, author: Any, planned: datetime | None = None) -> Post:
    accounts = list(org.accounts.all())
    data = PostInput(text="Le port en fête samedi.", targets=accounts, planned_at=planned)
    return save_post(org, author, data, now=NOW)


def transitions(post: Post) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(action="post.transition", object_id=str(post.pk))
    return [(e.detail["from"], e.detail["to"]) for e in events.order_by("pk")]


def test_nobody_approves_their_own_post_admins_included(org: Organisation) -> None:
    admin = user(org, Role.ADMIN)
    user(org, Role.REVIEWER)
    post = written(org, admin)
    workflow.submit_for_review(post, admin, now=NOW)
    with pytest.raises(DeskError):
        workflow.approve(post, admin, now=NOW)
    with pytest.raises(DeskError):
        workflow.reject(post, admin, "non", now=NOW)
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert AuditEvent.objects.filter(action="post.approval_refused").count() == 1


def test_the_last_editor_cannot_approve_either(org: Organisation) -> None:
    editor, other = user(org, Role.EDITOR), user(org, Role.ADMIN)
    post = written(org, editor)
    workflow.submit_for_review(post, editor, now=NOW)
    save_post(org, other, PostInput(text="Autre texte.", targets=list(org.accounts.all())), post)
    post.refresh_from_db()
    assert post.last_edited_by == other
    with pytest.raises(DeskError):
        workflow.approve(post, other, now=NOW)
    with pytest.raises(DeskError):
        workflow.approve(post, editor, now=NOW)


def test_review_approve_schedule_and_the_audit_trail(org: Organisation) -> None:
    editor, reviewer = user(org, Role.EDITOR), user(org, Role.REVIEWER)
    post = written(org, editor, planned=NOW + timedelta(days=1))
    with pytest.raises(DeskError):  # a draft is not approved
        workflow.approve(post, reviewer, now=NOW)
    with pytest.raises(DeskError):  # approval is required: a reviewer exists
        workflow.publish(post, editor, now=NOW)
    workflow.submit_for_review(post, editor, now=NOW)
    workflow.approve(post, reviewer, now=NOW)
    post.refresh_from_db()
    assert post.state == S.SCHEDULED and post.due_at == NOW + timedelta(days=1)
    assert post.publications.count() == 1
    assert transitions(post) == [
        ("draft", "in_review"),
        ("in_review", "approved"),
        ("approved", "scheduled"),
    ]


def test_an_edit_of_a_scheduled_post_sends_it_back_to_review(org: Organisation) -> None:
    editor, reviewer = user(org, Role.EDITOR), user(org, Role.REVIEWER)
    post = written(org, editor, planned=NOW + timedelta(days=1))
    workflow.submit_for_review(post, editor, now=NOW)
    workflow.approve(post, reviewer, now=NOW)
    same = PostInput(
        text="Le port en fête samedi.",
        targets=list(org.accounts.all()),
        planned_at=NOW + timedelta(days=1),
    )
    save_post(org, editor, same, Post.objects.get(pk=post.pk), now=NOW)  # nothing changed
    assert Post.objects.get(pk=post.pk).state == S.SCHEDULED
    same.text = "Le port en fête dimanche."
    save_post(org, editor, same, Post.objects.get(pk=post.pk), now=NOW)
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW and post.publications.count() == 0


def test_rejection_needs_a_comment_and_returns_to_the_author(org: Organisation) -> None:
    editor, reviewer = user(org, Role.EDITOR), user(org, Role.REVIEWER)
    post = written(org, editor)
    workflow.submit_for_review(post, editor, now=NOW)
    with pytest.raises(DeskError):
        workflow.reject(post, reviewer, "  ", now=NOW)
    workflow.reject(post, reviewer, "Ajoutez l'heure.", now=NOW)
    post.refresh_from_db()
    assert post.state == S.REJECTED
    assert post.comments.get().rejection


def test_a_post_pending_too_long_expires(org: Organisation, settings: Any) -> None:
    settings.ENVOL_DESK_EXPIRY_DAYS = 30
    editor = user(org, Role.EDITOR)
    user(org, Role.REVIEWER)
    post = written(org, editor)
    workflow.submit_for_review(post, editor, now=NOW)
    step(Post.objects.get(pk=post.pk), clock=lambda: NOW + timedelta(days=29))
    assert Post.objects.get(pk=post.pk).state == S.IN_REVIEW
    step(Post.objects.get(pk=post.pk), clock=lambda: NOW + timedelta(days=30, minutes=1))
    post.refresh_from_db()
    assert post.state == S.CANCELLED and post.note == "expired"


def test_a_missed_planned_time_is_not_published_late(org: Organisation) -> None:
    editor, reviewer = user(org, Role.EDITOR), user(org, Role.REVIEWER)
    post = written(org, editor, planned=NOW + timedelta(hours=1))
    workflow.submit_for_review(post, editor, now=NOW)
    workflow.approve(post, reviewer, now=NOW)
    step(Post.objects.get(pk=post.pk), clock=lambda: NOW + timedelta(days=1))
    post.refresh_from_db()
    assert post.state == S.APPROVED and post.note == "missed"
    assert workflow.missed(post, NOW + timedelta(days=1))


def test_urgent_publication_is_audited_and_confirmed_by_another(org: Organisation) -> None:
    admin, editor, reviewer = (user(org, r) for r in (Role.ADMIN, Role.EDITOR, Role.REVIEWER))
    post = written(org, editor)
    with pytest.raises(DeskError):  # editors cannot
        workflow.urgent_publish(post, editor, "Crue", now=NOW)
    with pytest.raises(DeskError):  # a reason is required
        workflow.urgent_publish(post, admin, " ", now=NOW)
    workflow.urgent_publish(post, admin, "Crue de la Penfeld : évacuation", now=NOW)
    post.refresh_from_db()
    assert post.state == S.PUBLISHING and post.urgent_by == admin
    assert ("draft", "publishing") in transitions(post)
    with pytest.raises(DeskError):
        workflow.confirm_urgent(post, admin, now=NOW)
    workflow.confirm_urgent(post, reviewer, now=NOW)
    assert AuditEvent.objects.filter(action="post.urgent_confirmed", actor=reviewer).exists()
    with pytest.raises(DeskError):  # too late to cancel
        workflow.cancel(post, editor, now=NOW)


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (date(2026, 3, 29), time(1, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),  # winter
        (date(2026, 3, 29), time(3, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # summer
        (date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # 1st
        (date(2026, 10, 25), time(3, 30), datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),  # winter
    ],
)
def test_local_times_across_the_dst_changes(
    org: Organisation, day: date, at: time, expected: datetime
) -> None:
    assert local_to_utc(org, day, at) == expected


def test_the_skipped_spring_hour_is_refused(org: Organisation) -> None:
    with pytest.raises(DeskError):
        local_to_utc(org, date(2026, 3, 29), time(2, 30))
