"""The desk's demo data (`envol demo` and the browser walk): a draft with an image, a draft
for a disconnected account, one post waiting for review, one scheduled and one published —
made through the desk's own services, as the members' clicks would."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from PIL import Image

from envol.jobs.transitions import move
from envol.orgs.models import ConnectedAccount, Organisation
from envol.publishing import workflow
from envol.publishing.compose import NewImage, PostInput, save_post
from envol.publishing.models import Post, PostState, Publication


@dataclass(frozen=True)
class DeskDemo:
    draft: int
    in_review: int
    scheduled: int
    published: int


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 180), "#1d6f42").save(out, format="PNG")
    return out.getvalue()


def seed_desk(
    org: Organisation,
    editor: Any,
    reviewer: Any,
    accounts: list[ConnectedAccount],
    *,
    now: datetime | None = None,
) -> DeskDemo | None:
    """Once per organisation (nothing when it already has desk posts). `accounts`: the
    targets that can publish; other connected accounts get a draft that names their problem."""
    if Post.objects.filter(organisation=org, origin="").exists() or not accounts:
        return None
    now = now or timezone.now()
    others = list(
        ConnectedAccount.objects.filter(organisation=org)
        .exclude(network="x")
        .exclude(pk__in=[a.pk for a in accounts])
    )
    draft = save_post(
        org,
        editor,
        PostInput(
            text="Le marché de Noël ouvre samedi place de la Mairie : 40 artisans, une patinoire "
            "et des concerts chaque soir. #Noël",
            targets=[*accounts, *others],
            link_url="",
            new_images=[NewImage("marche.png", _picture(), "Les chalets du marché de Noël")],
        ),
        now=now,
    )
    pending = save_post(
        org,
        editor,
        PostInput(
            text="Travaux rue de la République du 9 au 13 décembre : la ligne 2 du bus est "
            "déviée par le quai. Plan des déviations sur le site de la ville.",
            targets=accounts,
            planned_at=(now + timedelta(days=3)).replace(second=0, microsecond=0),
        ),
        now=now,
    )
    workflow.submit_for_review(pending, editor, now=now)
    scheduled = save_post(
        org,
        editor,
        PostInput(
            text="Conseil municipal jeudi à 18 h 30, en direct sur le site de la ville.",
            targets=accounts,
            planned_at=(now + timedelta(days=5)).replace(second=0, microsecond=0),
        ),
        now=now,
    )
    workflow.submit_for_review(scheduled, editor, now=now)
    workflow.approve(scheduled, reviewer, now=now)
    published = _published(org, editor, reviewer, accounts, now - timedelta(days=2))
    return DeskDemo(draft.pk, pending.pk, scheduled.pk, published.pk)


def _published(
    org: Organisation, editor: Any, reviewer: Any, accounts: list[ConnectedAccount], at: datetime
) -> Post:
    """A post marked as gone out two days ago (demo data: nothing is sent to a network, so its
    copies have no public address)."""
    post = save_post(
        org,
        editor,
        PostInput(
            text="La médiathèque ouvre désormais le dimanche de 14 h à 18 h.", targets=accounts
        ),
        now=at,
    )
    workflow.submit_for_review(post, editor, now=at)
    workflow.approve(post, reviewer, now=at)
    post.refresh_from_db()
    move(post, PostState.PUBLISHING, now=at)
    for copy in post.publications.all():
        copy.state = Publication.State.DONE
        copy.remote_id = f"demo{copy.pk}"
        copy.sent_at = copy.done_at = at
        copy.save()
    move(post, PostState.DONE, now=at)
    return post
