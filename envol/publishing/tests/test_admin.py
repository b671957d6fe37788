"""The Django admin's door to the desk: its approve and reject actions go through the workflow,
so a superuser cannot approve (or reject) a post they wrote, and the refusal is said on the
page; the post's state cannot be set by hand in the change form either."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from envol.orgs.models import AuditEvent, Organisation, Role
from envol.orgs.services import add_member
from envol.publishing import workflow
from envol.publishing.compose import PostInput, save_post
from envol.publishing.models import Post, PostComment, PostState

pytestmark = pytest.mark.django_db
S = PostState
CHANGELIST = "admin:publishing_post_changelist"


def superuser(org: Organisation, role: str) -> Any:
    """A member of the organisation who is also a superuser of the Django admin."""
    person = add_member(org, f"{role}@quimper.test", role).user
    person.is_staff = person.is_superuser = True
    person.save()
    return person


def in_review(org: Organisation, author: Any) -> Post:
    data = PostInput(text="La criée ouvre ses portes dimanche.", targets=list(org.accounts.all()))
    post = save_post(org, author, data)
    workflow.submit_for_review(post, author)
    return post


def act(person: Any, action: str, post: Post, **extra: str) -> Any:
    client = Client()
    client.force_login(person)
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(post.pk)], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def said(response: Any) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def test_a_superuser_cannot_approve_their_own_post_in_the_admin(org: Organisation) -> None:
    author = superuser(org, Role.ADMIN)
    superuser(org, Role.REVIEWER)  # approval is required: there is a reviewer
    post = in_review(org, author)

    response = act(author, "approve_posts", post)

    post.refresh_from_db()
    assert post.state == S.IN_REVIEW and post.reviewed_by is None
    refused = AuditEvent.objects.get(action="post.approval_refused", object_id=str(post.pk))
    assert said(response) == [(messages.ERROR, f"#{post.pk}: {refused.detail['reason']}")]


def test_a_superuser_cannot_reject_their_own_post_in_the_admin(org: Organisation) -> None:
    author = superuser(org, Role.ADMIN)
    superuser(org, Role.REVIEWER)
    post = in_review(org, author)

    response = act(author, "reject_posts", post, apply="1", comment="Je me relis.")

    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert not PostComment.objects.filter(post=post).exists()
    [(level, text)] = said(response)
    assert level == messages.ERROR and text.startswith(f"#{post.pk}: ")


def test_another_member_approves_in_the_admin(org: Organisation) -> None:
    author = add_member(org, "redaction@quimper.test", Role.EDITOR).user
    reviewer = superuser(org, Role.REVIEWER)
    post = in_review(org, author)

    response = act(reviewer, "approve_posts", post)

    post.refresh_from_db()
    assert post.state == S.SCHEDULED and post.reviewed_by == reviewer
    assert [level for level, _text in said(response)] == [messages.SUCCESS]
    moves = AuditEvent.objects.filter(action="post.transition", object_id=str(post.pk))
    assert [e.detail["to"] for e in moves.order_by("pk")][-2:] == [S.APPROVED, S.SCHEDULED]


def test_a_superuser_outside_the_organisation_is_refused(org: Organisation) -> None:
    author = add_member(org, "redaction@quimper.test", Role.EDITOR).user
    post = in_review(org, author)
    outsider = type(author).objects.create_superuser("root@elsewhere.test", "root@elsewhere.test")

    response = act(outsider, "approve_posts", post)

    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert [level for level, _text in said(response)] == [messages.ERROR]


def test_rejecting_in_the_admin_asks_for_the_comment_first(org: Organisation) -> None:
    author = add_member(org, "redaction@quimper.test", Role.EDITOR).user
    reviewer = superuser(org, Role.REVIEWER)
    post = in_review(org, author)

    asked = act(reviewer, "reject_posts", post)
    assert asked.status_code == 200 and b'name="comment"' in asked.content
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW

    act(reviewer, "reject_posts", post, apply="1", comment="Ajoutez l'horaire.")

    post.refresh_from_db()
    assert post.state == S.REJECTED and post.reviewed_by == reviewer
    comment = PostComment.objects.get(post=post)
    assert comment.rejection and comment.body == "Ajoutez l'horaire." and comment.author == reviewer


def test_the_change_form_cannot_set_the_state(org: Organisation) -> None:
    author = superuser(org, Role.ADMIN)
    post = in_review(org, author)
    client = Client()
    client.force_login(author)
    change = reverse("admin:publishing_post_change", args=[post.pk])

    assert b'name="state"' not in client.get(change).content
    client.post(change, {"state": S.APPROVED, "reviewed_by": str(author.pk)})

    post.refresh_from_db()
    assert post.state == S.IN_REVIEW and post.reviewed_by is None
