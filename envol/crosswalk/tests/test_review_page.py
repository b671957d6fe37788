"""The review page under load and for a new user (issues 12 §4 and 13 §2): keyset pages, counts
from the tallies (no scan of the matches per view), the import shown by default, labels, the
X handle, and a search that finds nothing said as such."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from envol.crosswalk import incremental
from envol.crosswalk.matching import compute_matches
from envol.crosswalk.models import Decision, IdentityLink, Match, MatchingJob, MatchTally
from envol.crosswalk.services import decide, forget_source, import_dataset
from envol.crosswalk.tests.conftest import HEADER, archive_with_following, did_for, write_csv
from envol.jobs.runner import run_to_end
from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.portability.models import ArchiveImport

pytestmark = pytest.mark.django_db
PASSWORD = "pw-review-page-123456"
FOLLOWED = 130


@pytest.fixture
def org_and_client() -> tuple[object, Client]:
    org = create_organisation("ville-p", "Ville P")
    add_member(org, "rita@p.test", Role.EDITOR, password=PASSWORD)
    client = Client()
    assert client.login(username="rita@p.test", password=PASSWORD)
    return org, client


def dataset(tmp_path: Path, name: str = "d") -> None:
    """X ids 1..FOLLOWED on Bluesky; confidences spread over the bands, ties included."""
    rows = [
        [str(n), f"user{n}" if n % 2 else "", "", did_for(n), "", "", f"{0.3 + (n % 7) / 10:.1f}"]
        for n in range(1, FOLLOWED + 1)
    ]
    import_dataset(write_csv(tmp_path / f"{name}.csv", rows, header=[*HEADER, "confidence"]), name)


def matched(tmp_path: Path, org: object) -> ArchiveImport:
    """An import of `org` following 1..FOLLOWED, matched on Bluesky against `dataset`."""
    dataset(tmp_path)
    archive = archive_with_following(org, [str(n) for n in range(1, FOLLOWED + 1)])  # type: ignore[arg-type]
    compute_matches(archive, "bluesky")
    return archive


def test_keyset_pages_walk_every_match_once_in_order(
    tmp_path: Path, org_and_client: tuple[object, Client]
) -> None:
    org, client = org_and_client
    archive = matched(tmp_path, org)
    expected = list(
        Match.objects.filter(archive_import=archive)
        .order_by("-confidence", "id")
        .values_list("pk", flat=True)
    )
    seen: list[int] = []
    url = f"/o/ville-p/matches/?import={archive.pk}"
    response = client.get(url)
    pages = [response]
    while response.context["page"].next_key:
        response = client.get(f"{url}&after={response.context['page'].next_key}")
        pages.append(response)
    for page in pages:
        seen += [m.pk for m in page.context["page"]]
        assert page.context["page"].count == FOLLOWED
    assert seen == expected and len(pages) == 3
    # and back: the page before the last is the second one
    last = pages[-1].context["page"]
    back = client.get(f"{url}&before={last.previous_key}").context["page"]
    assert [m.pk for m in back] == [m.pk for m in pages[1].context["page"]]
    assert client.get(f"{url}&after=oops").status_code == 404


def test_a_page_view_counts_from_the_tallies_not_the_matches(
    tmp_path: Path, org_and_client: tuple[object, Client]
) -> None:
    org, client = org_and_client
    archive = matched(tmp_path, org)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/o/ville-p/matches/?import={archive.pk}&band=review")
    on_matches = [
        q["sql"] for q in queries.captured_queries if 'FROM "crosswalk_match"' in q["sql"]
    ]
    assert len(on_matches) == 1 and "LIMIT 51" in on_matches[0]
    assert "COUNT(" not in on_matches[0].upper()
    on_tallies = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "crosswalk_matchtally"')
    ]
    assert len(on_tallies) == 1  # bands, sources and totals from one read of the tallies
    on_imports = [q for q in queries.captured_queries if '"portability_archiveimport"' in q["sql"]]
    assert len(on_imports) == 1  # the selector's imports and the one selected, read once
    review = Match.objects.filter(archive_import=archive, band="review").count()
    assert page.context["page"].count == review
    bands = {band: n for band, _label, n in page.context["bands"]}
    assert sum(bands.values()) == FOLLOWED and bands["review"] == review


def tallied(archive: ArchiveImport) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for t in MatchTally.objects.filter(archive_import=archive):
        found[(t.band, t.decision)] = found.get((t.band, t.decision), 0) + t.count
    return found


def counted(archive: ArchiveImport) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for m in Match.objects.filter(archive_import=archive):
        found[(m.band, m.decision)] = found.get((m.band, m.decision), 0) + 1
    return found


def test_tallies_follow_matching_decisions_and_takedowns(
    tmp_path: Path, org_and_client: tuple[object, Client]
) -> None:
    org, _client = org_and_client
    archive = matched(tmp_path, org)
    assert tallied(archive) == counted(archive)
    some = list(Match.objects.filter(archive_import=archive, band="review")[:5])
    decide(org, [m.pk for m in some], Decision.REJECTED, None)  # type: ignore[arg-type]
    assert tallied(archive) == counted(archive)
    assert counted(archive)[("review", "rejected")] == 5
    compute_matches(archive, "bluesky")  # a re-run keeps the decisions, and the tallies
    assert tallied(archive) == counted(archive)
    forget_source("d")  # the links go, and the matches that pointed at them
    assert tallied(archive) == counted(archive) == {}


def test_the_newest_import_with_matches_is_shown_with_labels_and_handles(
    tmp_path: Path, org_and_client: tuple[object, Client]
) -> None:
    org, client = org_and_client
    dataset(tmp_path)
    first = archive_with_following(org, ["1", "2", "3"])  # type: ignore[arg-type]
    ArchiveImport.objects.filter(pk=first.pk).update(file_name="twitter-2026-01.zip")
    compute_matches(first, "bluesky")
    second = archive_with_following(org, ["1", "2", "3"])  # type: ignore[arg-type]
    ArchiveImport.objects.filter(pk=second.pk).update(file_name="twitter-2026-12.zip")
    response = client.get("/o/ville-p/matches/")
    assert response.context["archive"].pk == first.pk  # not the newer one without matches
    page = response.content.decode()
    assert "twitter-2026-01.zip — @ville-p — " in page and "twitter-2026-12.zip" in page
    assert "@user1" in page and "https://x.com/user1" in page  # the handle a source knows
    assert "https://x.com/i/user/2" in page  # none known: the id
    newer = client.get(f"/o/ville-p/matches/?import={second.pk}").content.decode()
    assert 'id="other-imports"' in newer and f"?import={first.pk}" in newer


def by_group(archive: ArchiveImport, counted: bool) -> dict[tuple[str, ...], int]:
    fields = ("network", "kind", "band", "decision", "source")
    found: dict[tuple[str, ...], int] = {}
    rows = (
        [
            (*values, 1)
            for values in Match.objects.filter(archive_import=archive).values_list(*fields)
        ]
        if counted
        else MatchTally.objects.filter(archive_import=archive).values_list(*fields, "count")
    )
    for *group, n in rows:
        found[tuple(group)] = found.get(tuple(group), 0) + n
    return {group: n for group, n in found.items() if n}


def test_incremental_matching_adds_to_the_tallies_and_recounts_a_replaced_match(
    tmp_path: Path, org_and_client: tuple[object, Client]
) -> None:
    """New matches are counted into the tallies (no recount of the import); a weaker
    undecided match replaced by a stronger link makes its import recounted."""
    org, _client = org_and_client
    weak = [[str(n), "", "", did_for(n), "", "", "0.6"] for n in range(1, 6)]
    import_dataset(write_csv(tmp_path / "weak.csv", weak, header=[*HEADER, "confidence"]), "weak")
    archive = archive_with_following(org, [str(n) for n in range(1, 11)])  # type: ignore[arg-type]
    compute_matches(archive, "bluesky")
    assert by_group(archive, counted=False) == by_group(archive, counted=True)
    strong = [[str(n), "", "", did_for(n), "", "", "0.95"] for n in (6, 7)]
    import_dataset(write_csv(tmp_path / "new.csv", strong, header=[*HEADER, "confidence"]), "new")
    new_links = list(IdentityLink.objects.filter(source="dataset:new").values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        written = incremental.match_new_links(new_links)
    assert len(written) == 2
    assert not [q for q in queries.captured_queries if "DELETE" in q["sql"]]  # added, not recounted
    assert by_group(archive, counted=False) == by_group(archive, counted=True)
    better = [["3", "", "", did_for(3), "", "", "0.95"]]
    import_dataset(
        write_csv(tmp_path / "better.csv", better, header=[*HEADER, "confidence"]), "better"
    )
    link = IdentityLink.objects.get(x_id=3, network="bluesky")
    assert incremental.match_new_links([link.pk])
    assert Match.objects.get(archive_import=archive, x_id="3").confidence == 0.95
    assert by_group(archive, counted=False) == by_group(archive, counted=True)


def test_what_the_table_shows_is_escaped(
    tmp_path: Path, org_and_client: tuple[object, Client]
) -> None:
    """The rows are built in Python for speed: every value from a dataset stays text."""
    org, client = org_and_client
    archive = matched(tmp_path, org)
    first = Match.objects.filter(archive_import=archive).order_by("-confidence", "id").first()
    assert first is not None
    Match.objects.filter(pk=first.pk).update(
        x_handle='x"><script>1</script>',
        remote_handle="<b>bold</b>",
        reasons="a & b <i>",
        candidates="<img src=x onerror=alert(1)>",
    )
    page = client.get(f"/o/ville-p/matches/?import={archive.pk}").content.decode()
    assert "<script>1" not in page and "<b>bold" not in page and "<img src=x" not in page
    assert "@x&quot;&gt;&lt;script&gt;1&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "a &amp; b &lt;i&gt;" in page
    assert f'id="match-{first.pk}"' in page and '<td class="decision">' in page


def test_a_search_that_finds_nothing_is_not_a_success(
    org_and_client: tuple[object, Client],
) -> None:
    org, client = org_and_client
    archive = archive_with_following(org, ["77", "78"])  # type: ignore[arg-type]
    client.post(
        "/o/ville-p/matches/compute/",
        {"import": archive.pk, "network": "bluesky", "kind": "following"},
    )
    assert run_to_end(MatchingJob.objects.get()).state == MatchingJob.State.DONE
    page = client.get(f"/o/ville-p/matches/?import={archive.pk}").content.decode()
    assert 'id="matching-none"' in page and 'id="matching-done"' not in page
    assert "2 comptes cherchés, aucun trouvé sur Bluesky" in page  # French by default


def test_the_estimate_counts_found_accounts_apart_from_those_not_found(
    tmp_path: Path, org_and_client: tuple[object, Client]
) -> None:
    from envol.migration.services import selection

    org, _client = org_and_client
    dataset(tmp_path)
    followed = [str(n) for n in range(1, FOLLOWED + 1)] + ["900001", "900002"]
    archive = archive_with_following(org, followed)  # type: ignore[arg-type]
    compute_matches(archive, "bluesky")
    review = list(Match.objects.filter(archive_import=archive, band="review"))
    decide(org, [m.pk for m in review[:4]], Decision.REJECTED, None)  # type: ignore[arg-type]
    decide(org, [m.pk for m in review[4:6]], Decision.ACCEPTED, None)  # type: ignore[arg-type]
    chosen = selection(org, archive.pk, "bluesky")  # type: ignore[arg-type]
    accepted = Match.objects.filter(archive_import=archive, decision="accepted").count()
    pending = Match.objects.filter(
        archive_import=archive, decision="pending", band__in=["auto", "review"]
    ).count()
    assert (chosen.rejected, chosen.pending_review) == (4, pending) and pending > 0
    assert len(chosen.targets) == accepted
    assert chosen.unresolved == len(followed) - accepted - pending - 4  # weak ones and unknown
