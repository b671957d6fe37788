"""Publishing a post as a job kind of the engine: `publishing` runs `publish_step`; posts take
turns per organisation. A scheduled post (the desk) is a post whose state is runnable with its
due time at the planned moment: the runner publishes it then, exactly once."""

from __future__ import annotations

from envol.jobs.kinds import JobKind, register
from envol.publishing import services
from envol.publishing.models import Post

PUBLISH_POST = register(
    JobKind(
        model=Post,
        handlers={Post.State.PUBLISHING: services.publish_step},
        fairness="organisation_id",
        on_transition=services.on_transition,
        select_related=("organisation",),
    )
)
