"""`envol post --submit/--schedule`: the command line goes through the desk's workflow with the
web's rules — a reviewer's approval when the organisation requires it, local times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.orgs.models import ConnectedAccount, Network, Organisation, Role
from envol.orgs.services import add_member, create_organisation
from envol.publishing.models import Post, PostState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def org(db: None) -> Organisation:
    org = create_organisation("nantes", "Nantes")
    ConnectedAccount.objects.create(organisation=org, network=Network.BLUESKY, handle="n.test")
    add_member(org, "redaction@nantes.test", Role.EDITOR)
    return org


def post(*args: str) -> object:
    return CliRunner().invoke(
        main, ["post", "--org", "nantes", "--to", "bluesky", *args, "Marché nocturne ce soir."]
    )


def test_submit_puts_the_post_in_review_as_its_author(org: Organisation) -> None:
    answer = post("--submit", "--as", "redaction@nantes.test", "--schedule", "2030-10-27 02:30")
    assert answer.exit_code == 0, answer.output
    made = Post.objects.get()
    assert made.state == PostState.IN_REVIEW
    assert made.author.email == "redaction@nantes.test"
    # the autumn hour happens twice: its first occurrence, still on summer time (UTC+2)
    assert made.planned_at == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)


def test_schedule_without_review_is_refused_when_approval_is_required(
    org: Organisation,
) -> None:
    add_member(org, "relecture@nantes.test", Role.REVIEWER)
    answer = post("--schedule", "2030-06-01 10:00", "--as", "redaction@nantes.test")
    assert answer.exit_code != 0
    assert Post.objects.get().state == PostState.DRAFT
    assert post("--submit").exit_code != 0  # who writes must be said


def test_schedule_goes_out_at_its_time_when_no_approval_is_needed(org: Organisation) -> None:
    answer = post("--schedule", "2030-06-01 10:00", "--as", "redaction@nantes.test")
    assert answer.exit_code == 0, answer.output
    made = Post.objects.get()
    assert made.state == PostState.SCHEDULED
    assert made.planned_at == datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
    assert made.publications.count() == 1
