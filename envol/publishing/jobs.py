"""Publishing a post as a job kind of the engine: `publishing` runs `publish_step`; posts take
turns per organisation. A scheduled post (the desk) is runnable with its due time at the planned
moment: the runner moves it to `publishing` then, and the next step sends it, exactly once. A post
in review or approved is due at its expiry deadline only (`workflow.deadline_step`)."""

from __future__ import annotations

from envol.jobs.kinds import JobKind, register
from envol.publishing import services, workflow
from envol.publishing.models import Post

PUBLISH_POST = register(
    JobKind(
        model=Post,
        handlers={
            Post.State.PUBLISHING: services.publish_step,
            Post.State.SCHEDULED: workflow.due_step,
            Post.State.IN_REVIEW: workflow.deadline_step,
            Post.State.APPROVED: workflow.deadline_step,
        },
        fairness="organisation_id",
        on_transition=workflow.on_transition,
        select_related=("organisation",),
    )
)
