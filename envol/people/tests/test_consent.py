"""The three consent levels end to end, incremental matching and the weekly digest.

Camille (a person) follows Dominique on X; Dominique signs in with Bluesky and brings the
archive that says which X account is theirs. What Camille (and an organisation whose archive
lists Dominique as a follower only) may see depends on Dominique's choice alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envol.crosswalk import incremental, tallies
from envol.crosswalk.matching import compute_matches
from envol.crosswalk.models import ConsentLevel, IdentityLink, Match
from envol.jobs.runner import Runner
from envol.orgs.services import create_organisation
from envol.people import digest, services
from envol.people.jobs import WEEKLY_DIGESTS
from envol.people.models import NewMatch, PersonSpace, WeeklyDigest
from envol.people.tests.helpers import archive_for, did_for, followed_by, follower_of, person
from envol.portability.models import ArchiveImport
from envol.sharing.models import FeedChange

pytestmark = pytest.mark.django_db

DOMINIQUE = did_for(42)


def matches_of(space: object, remote_id: str = DOMINIQUE, kind: str = "following") -> int:
    return Match.objects.filter(
        archive_import__organisation=space, remote_id=remote_id, kind=kind
    ).count()


@pytest.fixture
def world(tmp_path: Path) -> dict[str, object]:
    """Camille and an organisation have imported their archives before Dominique joins."""
    _camille, camille_space, _ = person("camille.test", did_for(1))
    camille_archive = archive_for(camille_space, tmp_path, seed=1)
    dominique_x_id = followed_by(camille_archive, 2)
    city = create_organisation("ville-c", "Ville C")
    city_archive = archive_for(city, tmp_path, seed=2)
    city_follower = follower_of(city_archive, 0)  # Dominique only follows the city
    _dominique, dominique_space, dominique_account = person("dominique.test", DOMINIQUE)
    return {
        "camille": camille_space,
        "city": city,
        "dominique": dominique_space,
        "account": dominique_account,
        "x_id": dominique_x_id,
        "city_follower": city_follower,
        "tmp": tmp_path,
    }


def dominique_imports(world: dict[str, object], x_id: str) -> None:
    archive_for(world["dominique"], world["tmp"], x_id=x_id, seed=3)  # type: ignore[arg-type]


def test_private_is_never_matched_for_anyone_else(world: dict[str, object]) -> None:
    services.set_consent(world["account"], ConsentLevel.PRIVATE)  # type: ignore[arg-type]
    dominique_imports(world, str(world["x_id"]))
    for archive in ArchiveImport.objects.filter(state="done"):
        for network in ("bluesky", "mastodon"):
            for kind in ("following", "follower"):
                compute_matches(archive, network, kind)  # even a full re-match finds nothing
    assert not IdentityLink.objects.filter(remote_id=DOMINIQUE).exists()
    assert not Match.objects.filter(remote_id=DOMINIQUE).exists()
    assert not FeedChange.objects.exists()


def test_followers_level_serves_those_who_followed_only(world: dict[str, object]) -> None:
    services.set_consent(world["account"], ConsentLevel.FOLLOWERS)  # type: ignore[arg-type]
    dominique_imports(world, str(world["x_id"]))
    # Camille followed Dominique on X: found at once (incremental), news waiting.
    assert matches_of(world["camille"]) == 1
    assert services.unseen_news(world["camille"]) == {"bluesky": 1}  # type: ignore[arg-type]
    link = IdentityLink.objects.get(remote_id=DOMINIQUE)
    assert (link.source, link.confidence, link.x_id) == ("self", 1.0, world["x_id"])
    assert "own archive" in link.evidence
    assert not FeedChange.objects.exists()  # not in the public dataset


def test_followers_level_is_not_matched_for_a_follower_relation(
    world: dict[str, object],
) -> None:
    services.set_consent(world["account"], ConsentLevel.FOLLOWERS)  # type: ignore[arg-type]
    dominique_imports(world, str(world["city_follower"]))  # the city's archive: a follower
    archive = ArchiveImport.objects.get(organisation=world["city"])
    compute_matches(archive, "bluesky", "follower")
    assert matches_of(world["city"], kind="follower") == 0
    services.set_consent(world["account"], ConsentLevel.PUBLIC)  # type: ignore[arg-type]
    assert matches_of(world["city"], kind="follower") == 1  # public: everyone


def test_public_level_joins_the_feed_and_revoking_removes_everything(
    world: dict[str, object],
) -> None:
    account = world["account"]
    services.set_consent(account, ConsentLevel.PUBLIC)  # type: ignore[arg-type]
    dominique_imports(world, str(world["x_id"]))
    assert matches_of(world["camille"]) == 1
    assert list(FeedChange.objects.values_list("op", "x_id", "remote_id")) == [
        ("add", world["x_id"], DOMINIQUE)
    ]
    services.set_consent(account, ConsentLevel.PRIVATE)  # type: ignore[arg-type]
    assert matches_of(world["camille"]) == 0
    assert not IdentityLink.objects.filter(remote_id=DOMINIQUE).exists()
    assert list(FeedChange.objects.order_by("pk").values_list("op", flat=True)) == [
        "add",
        "remove",
    ]


def test_incremental_matching_is_one_indexed_query(world: dict[str, object]) -> None:
    services.set_consent(world["account"], ConsentLevel.FOLLOWERS)  # type: ignore[arg-type]
    dominique_imports(world, str(world["x_id"]))
    link = IdentityLink.objects.get(remote_id=DOMINIQUE)
    gone = Match.objects.filter(link=link)
    imports = set(gone.values_list("archive_import_id", flat=True))
    gone.delete()
    tallies.refresh_imports(imports)  # as envol's own removals do (`store.forget`)
    with CaptureQueriesContext(connection) as queries:
        written = incremental.match_new_links([link.pk])
    statements = [q["sql"] for q in queries.captured_queries if "INTO crosswalk_match " in q["sql"]]
    assert len(written) == 1 and len(statements) == 1  # then the touched import's tallies
    touched = Match.objects.get(pk=written[0]).archive_import_id
    counted = Match.objects.filter(archive_import_id=touched).count()
    assert tallies.ImportTallies(touched).total() == counted
    if connection.vendor == "sqlite":
        sql = incremental._insert_sql(1)
        params = [0.9, 0.5, 0.9, 0.9, "t", "t", link.pk]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql.split("ON CONFLICT")[0], params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "relation_by_x_id" in plan, plan  # the relations are found by their X id


def test_weekly_digest(world: dict[str, object]) -> None:
    camille = world["camille"]
    PersonSpace.objects.filter(organisation=camille).update(
        email="camille@example.test", weekly_digest=True, language="fr"
    )
    digest.schedule(PersonSpace.objects.get(organisation=camille))
    services.set_consent(world["account"], ConsentLevel.FOLLOWERS)  # type: ignore[arg-type]
    dominique_imports(world, str(world["x_id"]))
    now = datetime(2026, 3, 4, 10, tzinfo=UTC)  # a Wednesday
    assert digest.send_digests(now) == 1
    assert mail.outbox[0].subject == "1 compte que vous suiviez sur X est maintenant sur Bluesky"
    assert mail.outbox[0].to == ["camille@example.test"]
    assert digest.send_digests(now + timedelta(days=1)) == 0  # once a week
    assert digest.send_digests(now + timedelta(days=8)) == 0  # nothing new: no email
    assert NewMatch.objects.get().emailed_at == now


def test_the_workers_send_the_digest_and_a_killed_claim_is_never_sent_twice(
    world: dict[str, object],
) -> None:
    """The digest is a job of the engine: a runner sends it when due. A worker killed after
    claiming the week and before the mail server leaves the week claimed and `sent_at` empty:
    the next step cannot know whether the email left, so it never sends that week again."""
    camille = world["camille"]
    PersonSpace.objects.filter(organisation=camille).update(
        email="camille@example.test", weekly_digest=True, language="en"
    )
    job = digest.schedule(PersonSpace.objects.get(organisation=camille))
    services.set_consent(world["account"], ConsentLevel.FOLLOWERS)  # type: ignore[arg-type]
    dominique_imports(world, str(world["x_id"]))
    wednesday = datetime(2026, 3, 4, 10, tzinfo=UTC)
    WeeklyDigest.objects.filter(pk=job.pk).update(
        week=digest.iso_week(wednesday), claimed_at=wednesday, sent_at=None, due_at=wednesday
    )
    assert Runner([WEEKLY_DIGESTS], clock=lambda: wednesday).run_once() == 1
    assert mail.outbox == []  # claimed by the killed worker: not sent again this week
    job.refresh_from_db()
    monday = datetime(2026, 3, 9, tzinfo=UTC)
    assert job.due_at is not None and job.due_at <= monday + timedelta(days=1)

    assert Runner([WEEKLY_DIGESTS], clock=lambda: monday + timedelta(hours=1)).run_once() == 1
    assert [m.subject for m in mail.outbox] == [
        "1 account you followed on X is now on Bluesky"
    ]  # the next week, by the worker
    assert Runner([WEEKLY_DIGESTS], clock=lambda: monday + timedelta(hours=2)).run_once() == 0


def test_digest_counts_in_words() -> None:
    from django.utils import translation

    with translation.override("fr"):
        assert digest.digest_lines({"bluesky": 12}) == [
            "12 comptes que vous suiviez sur X sont maintenant sur Bluesky"
        ]
    with translation.override("en"):
        assert digest.digest_lines({"mastodon": 1}) == [
            "1 account you followed on X is now on Mastodon"
        ]
