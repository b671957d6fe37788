"""Publishing runs in the worker: the task only calls the service (safe to run twice)."""

from __future__ import annotations

from django_tasks import task

from envol.publishing import services
from envol.publishing.models import Post


@task()
def publish_post(post_id: int) -> str:
    post = Post.objects.get(pk=post_id)
    services.publish(post)
    post.refresh_from_db()
    return str(post.state)
