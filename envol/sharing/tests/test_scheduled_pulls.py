"""The workers pull subscribed feeds on schedule, as jobs of the one engine: a subscription is
due again one pull interval after its last pull, a runner steps it then (not before), and a
revoked consent is gone after that pull. The instance subscribes to its own feed here (one
database), so the runner can run in the test process with an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from envol.crosswalk.models import ConsentLevel, IdentityLink
from envol.jobs.runner import Runner
from envol.people import services
from envol.people.tests.helpers import archive_for, did_for, person
from envol.sharing import services as sharing
from envol.sharing.jobs import FEED_PULLS
from envol.sharing.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def publisher(live_server: Any) -> Iterator[str]:
    with override_settings(
        PUBLIC_URL=live_server.url, ENVOL_SIGNUP="open", ENVOL_ALLOW_PRIVATE_NETWORKS=True
    ):
        yield live_server.url


def looped() -> set[str]:
    """What the subscription asserts (beside the person's own `self` link, set aside on it)."""
    links = IdentityLink.objects.asserted_by("dataset:loop")
    return {str(x_id) for x_id in links.values_list("x_id", flat=True)}


def test_a_worker_pulls_on_schedule_and_a_revocation_follows(
    publisher: str, tmp_path: Path
) -> None:
    _user, space, account = person("ouverte.test", did_for(1))
    archive_for(space, tmp_path, x_id="1111")
    services.set_consent(account, ConsentLevel.PUBLIC)

    subscription = sharing.subscribe(publisher, "loop", 0.9)
    sharing.pull_now(subscription)
    assert looped() == {"1111"}
    subscription.refresh_from_db()
    interval = sharing.pull_interval()
    assert subscription.state == Subscription.State.ACTIVE and subscription.due_at is not None
    next_pull = subscription.due_at
    assert next_pull >= timezone.now() + interval - timedelta(minutes=1)

    services.set_consent(account, ConsentLevel.PRIVATE)
    early = Runner([FEED_PULLS], clock=lambda: next_pull - timedelta(seconds=1))
    assert early.run_once() == 0  # not due yet: nothing pulled
    assert looped() == {"1111"}

    on_time = Runner([FEED_PULLS], clock=lambda: next_pull)
    assert on_time.run_once() == 1
    assert looped() == set()  # the removal applied by the worker's pull
    subscription.refresh_from_db()
    assert subscription.due_at == next_pull + interval and subscription.last_error == ""


def test_a_failed_pull_is_the_jobs_error_and_is_retried(publisher: str) -> None:
    subscription = sharing.subscribe(publisher, "loop", 0.9)
    Subscription.objects.filter(pk=subscription.pk).update(url="http://127.0.0.1:9")
    now = timezone.now()
    Subscription.objects.filter(pk=subscription.pk).update(due_at=now)
    assert Runner([FEED_PULLS], clock=lambda: now).run_once() == 1
    subscription.refresh_from_db()
    assert "Connection refused" in subscription.last_error  # the job says why
    assert subscription.consecutive_errors == 1 and subscription.due_at > now  # backed off
    assert subscription.state == Subscription.State.ACTIVE
