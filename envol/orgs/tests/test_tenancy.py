"""No member of organisation A reaches anything of organisation B, whatever the view and the role.

Every organisation-scoped route is found by walking the URL resolver, so views added later are
covered without touching this test. Each URL argument is filled with the id of a *real* object:
`URL_ARGUMENTS` says how to create one for an organisation. B's ids are tried both under B's slug
and under A's own slug (the classic hole: a view that looks the object up by id alone). A's own
ids under A's slug must not answer 404 to its admin, which proves the ids are real and a 404
means "refused", not "no such object".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from envol.crosswalk.models import Band, Match, MatchingJob
from envol.decide.models import Assessment
from envol.history.models import HistoryMigration
from envol.insights import services as insights
from envol.insights.models import Campaign, Channel
from envol.leaving.models import PublicLink
from envol.migration.models import MigrationJob
from envol.migration.views import ACTIONS
from envol.orgs.models import ConnectedAccount, Organisation, Role
from envol.orgs.services import add_member, create_organisation
from envol.portability.models import ArchiveImport, Relation, SourceAccount
from envol.publishing.models import Post, PostMedia
from envol.publishing.views import ACTIONS as DESK_ACTIONS
from envol.relays.models import Relay

PASSWORD = "pw-tenancy-123456"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "o/<slug:org>/migration/<int:job_id>/"
    namespace: str  # the URL namespace of the app that serves it, "" for the root URLconf

    @property
    def arguments(self) -> list[str]:
        return [name for name in re.findall(r"<(?:\w+:)?(\w+)>", self.pattern) if name != "org"]


def org_scoped_routes() -> list[Route]:
    """Every URL pattern that takes an <org> argument, walked from the root resolver."""
    found: list[Route] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route, p.namespace or namespace)
            elif re.search(r"<(?:slug|str):org>", route):
                found.append(Route(route, namespace))

    walk(get_resolver().url_patterns, "", "")
    return found


# --- How to make a real object for each URL argument ------------------------------------------
# Keyed by (URL namespace, argument name): the same name in another app may mean another model.
# Each maker creates what the argument names in `org` and returns the values to put in the URL.


def _archive_import(org: Organisation) -> ArchiveImport:
    return ArchiveImport.objects.create(organisation=org, state=ArchiveImport.State.DONE)


def _account(org: Organisation) -> ConnectedAccount:
    number = next(_numbers)
    return ConnectedAccount.objects.create(
        organisation=org,
        network="mastodon",
        handle=f"account{number}@social.example",
        remote_id=f"remote-{number}",
        instance_url="https://social.example",
    )


def _job(org: Organisation) -> MigrationJob:
    return MigrationJob.objects.create(
        organisation=org,
        archive_import=_archive_import(org),
        account=_account(org),
        network="mastodon",
    )


def _assessment(org: Organisation) -> Assessment:
    return Assessment.objects.create(
        organisation=org, network="bluesky", assessed_on=date(2026, 1, 5)
    )


def _history_migration(org: Organisation) -> HistoryMigration:
    return HistoryMigration.objects.create(
        organisation=org, archive_import=_archive_import(org), account=_account(org)
    )


def _relay(org: Organisation) -> Relay:
    return Relay.objects.create(
        organisation=org, name="Actualités", source_kind="rss", source="https://example.org/rss"
    )


def _channel(org: Organisation) -> Channel:
    return insights.channel_for_account(_account(org))


def _campaign(org: Organisation) -> Campaign:
    return insights.save_campaign(org, f"Campagne {next(_numbers)}", tags=["Vélo"])


def _post(org: Organisation) -> Post:
    return Post.objects.create(organisation=org, text="Bonjour")


def _media(org: Organisation) -> PostMedia:
    return PostMedia.objects.create(
        post=_post(org), position=0, path="missing.png", mime_type="image/png", alt_text="Logo"
    )


def _link(org: Organisation) -> PublicLink:
    return PublicLink.objects.create(
        organisation=org, network="website", url=f"https://{org.slug}.example"
    )


URL_ARGUMENTS: dict[tuple[str, str], Callable[[Organisation], list[str]]] = {
    ("portability", "pk"): lambda org: [str(_archive_import(org).pk)],
    ("orgs", "account_id"): lambda org: [str(_account(org).pk)],
    ("migration", "job_id"): lambda org: [str(_job(org).pk)],
    ("migration", "action"): lambda org: sorted(ACTIONS),  # not an object: every value
    ("leaving", "link_id"): lambda org: [str(_link(org).pk)],
    ("decide", "assessment_id"): lambda org: [str(_assessment(org).pk)],
    ("decide", "network"): lambda org: ["bluesky"],  # not an object: a network's sheet
    ("publishing", "post_id"): lambda org: [str(_post(org).pk)],
    ("publishing", "media_id"): lambda org: [str(_media(org).pk)],
    ("publishing", "action"): lambda org: sorted(DESK_ACTIONS),  # not an object: every value
    ("people", "account_id"): lambda org: [str(_account(org).pk)],
    ("history", "job_id"): lambda org: [str(_history_migration(org).pk)],
    ("relays", "pk"): lambda org: [str(_relay(org).pk)],
    ("insights", "channel_id"): lambda org: [str(_channel(org).pk)],
    ("insights", "campaign_id"): lambda org: [str(_campaign(org).pk)],
}
# Arguments that name no object of an organisation: under A's own slug they are A's.
NOT_IDS = {("migration", "action"), ("decide", "network"), ("publishing", "action")}
# Routes the control below cannot open for an organisation's admin, and why.
NOT_FOR_AN_ORGANISATION_ADMIN = {
    "people": "personal spaces: only their person opens them",
    "publishing:media": "serves the media file, which the test does not write",
    "history:bluesky": "POST only (pause, resume, cancel): a GET is a 404 whatever the id",
}


def names_an_object(route: Route) -> bool:
    return any((route.namespace, name) not in NOT_IDS for name in route.arguments)


def real_urls(routes: list[Route], org: Organisation, slug: str | None = None) -> list[str]:
    """Each route filled with objects of `org`, under the slug `slug` (default: org's own)."""
    urls: list[str] = []
    for route in routes:
        values: dict[str, list[str]] = {}
        for name in route.arguments:
            maker = URL_ARGUMENTS.get((route.namespace, name))
            if maker is None:
                pytest.fail(
                    f"The route {route.pattern!r} (namespace {route.namespace!r}) takes "
                    f"<{name}>, and this test does not know how to create a real object for it: "
                    f"add ({route.namespace!r}, {name!r}) to URL_ARGUMENTS in {__file__}."
                )
            values[name] = maker(org)
        combinations: list[dict[str, str]] = [{}]
        for name, choices in values.items():
            combinations = [{**c, name: choice} for c in combinations for choice in choices]
        for combination in combinations:
            url = re.sub(r"<(?:slug|str):org>", slug or org.slug, route.pattern)
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, c=combination: c[m.group(1)], url)
            urls.append("/" + url.lstrip("^").rstrip("$"))
    return urls


def client_for(email: str) -> Client:
    client = Client()
    assert client.login(username=email, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_every_route_takes_known_arguments() -> None:
    """A new route whose argument this test cannot fill fails here, saying what to add."""
    routes = org_scoped_routes()
    assert len(routes) >= 30, routes
    org = create_organisation("ville-a", "Ville A")
    assert all("<" not in url for url in real_urls(routes, org))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER])
def test_a_member_of_a_never_reaches_b_with_b_s_real_ids(role: Role) -> None:
    a = create_organisation("ville-a", "Ville A")
    b = create_organisation("ville-b", "Ville B")
    add_member(a, "alice@a.test", role, password=PASSWORD)
    add_member(b, "bob@b.test", Role.ADMIN, password=PASSWORD)
    routes = org_scoped_routes()
    b_urls = real_urls(routes, b)  # B's objects first: their ids differ from A's
    b_ids_under_a = real_urls([r for r in routes if names_an_object(r)], b, slug=a.slug)
    before = b_objects(b)
    alice = client_for("alice@a.test")
    for url in b_urls:
        for method in ("get", "post"):
            response = getattr(alice, method)(url)
            assert response.status_code == 404, (role, method, url, response.status_code)
    for url in b_ids_under_a:
        # Under her own slug a POST-only view may refuse a GET first (405, whatever the id).
        response = alice.get(url)
        assert response.status_code in (404, 405), (role, "get", url, response.status_code)
        response = alice.post(url)
        assert response.status_code == 404, (role, "post", url, response.status_code)
    assert b_objects(b) == before  # and none of those POSTs changed anything of B's


def b_objects(org: Organisation) -> dict[str, list[tuple[object, ...]]]:
    return {
        "jobs": list(MigrationJob.objects.filter(organisation=org).values_list("pk", "state")),
        "links": list(PublicLink.objects.filter(organisation=org).values_list("pk", "url")),
        "accounts": list(
            ConnectedAccount.objects.filter(organisation=org).values_list("pk", "status")
        ),
        "imports": list(ArchiveImport.objects.filter(organisation=org).values_list("pk", "state")),
        "posts": list(Post.objects.filter(organisation=org).values_list("pk", "state", "text")),
        "assessments": list(
            Assessment.objects.filter(organisation=org).values_list("pk", "assessed_on", "note")
        ),
    }


@pytest.mark.django_db
def test_the_ids_are_real_a_s_admin_reaches_a_s_own_objects() -> None:
    """The control: the same routes with A's own objects answer its admin (no 404), so the
    404s above come from the refusal, not from made-up ids."""
    a = create_organisation("ville-a", "Ville A")
    add_member(a, "alice@a.test", Role.ADMIN, password=PASSWORD)
    alice = client_for("alice@a.test")
    routes = [
        r
        for r in org_scoped_routes()
        if r.arguments
        and r.namespace not in NOT_FOR_AN_ORGANISATION_ADMIN
        and not (r.namespace == "publishing" and "media" in r.pattern)
        and not (r.namespace == "history" and "/bluesky/" in r.pattern)
    ]
    for url in real_urls(routes, a):
        response = alice.get(url)
        assert response.status_code != 404, (url, response.status_code)


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in_on_org_urls_and_home() -> None:
    create_organisation("ville-a", "Ville A")
    client = Client()
    # The same answer for an organisation that exists and one that does not: nothing leaks.
    for slug in ("ville-a", "no-such-town"):
        response = client.get(f"/o/{slug}/imports/")
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next=/o/{slug}/imports/"
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_switcher_refuses_foreign_organisation() -> None:
    a = create_organisation("ville-a", "Ville A")
    create_organisation("ville-b", "Ville B")
    add_member(a, "alice@a.test", Role.VIEWER, password=PASSWORD)
    client = client_for("alice@a.test")
    assert client.post("/o/switch/", {"org": "ville-b"}).status_code == 404
    assert client.post("/o/switch/", {"org": "ville-a"}).status_code == 302


def _matched_import(org: Organisation) -> tuple[ArchiveImport, Match]:
    """An archive import of `org` with one relation matched on Bluesky, pending review."""
    account = SourceAccount.objects.create(
        organisation=org, network="x", remote_id=f"9{org.pk}", username=org.slug
    )
    archive = ArchiveImport.objects.create(
        organisation=org, source_account=account, state=ArchiveImport.State.DONE
    )
    relation = Relation.objects.create(
        source_account=account, kind="following", remote_id="123", first_import=archive
    )
    match = Match.objects.create(
        archive_import=archive,
        relation=relation,
        network="bluesky",
        kind="following",
        x_id="123",
        remote_id=f"did:plc:{org.slug}",
        confidence=0.8,
        band=Band.REVIEW,
        source="test",
        computed_at=timezone.now(),
    )
    return archive, match


def _requests_naming(
    archive: ArchiveImport, match: Match, account: ConnectedAccount
) -> list[tuple[str, str, dict[str, object]]]:
    """The views that take an organisation's ids in the query string or the form, not the path."""
    return [
        ("get", "matches/", {"import": archive.pk}),
        ("get", "matches/export/", {"import": archive.pk, "network": "bluesky", "format": "csv"}),
        (
            "post",
            "matches/decide/",
            {"import": archive.pk, "action": "accept", "match": [match.pk]},
        ),
        ("post", "matches/compute/", {"import": archive.pk, "network": "bluesky"}),
        ("post", "matches/own/consent/", {"account": account.pk, "shared": "on"}),
        ("get", "migration/", {"import": archive.pk, "account": account.pk}),
        ("post", "migration/start/", {"import": archive.pk, "account": account.pk}),
    ]


@pytest.mark.django_db
def test_b_s_ids_in_queries_and_forms_are_refused_and_change_nothing() -> None:
    """The routes walked above carry ids in their path; these views take them in the query
    string or the form, where a lookup by id alone would go unseen by the walk."""
    a = create_organisation("ville-a", "Ville A")
    b = create_organisation("ville-b", "Ville B")
    add_member(a, "alice@a.test", Role.ADMIN, password=PASSWORD)
    alice = client_for("alice@a.test")
    own = _requests_naming(*_matched_import(a), _account(a))
    foreign = _requests_naming(*_matched_import(b), _account(b))
    before = b_objects(b) | {"matches": list(Match.objects.values_list("pk", "decision"))}
    for method, path, data in foreign:
        response = getattr(alice, method)(f"/o/ville-a/{path}", data)
        assert response.status_code == 404, (method, path, data, response.status_code)
    site = alice.post(
        "/o/ville-a/history/site/",
        {"action": "build", "archive_import": foreign[0][2]["import"], "lang": "fr", "colour": ""},
    )
    assert site.status_code == 200 and site.context["form"].errors  # not a choice of A's
    after = b_objects(b) | {"matches": list(Match.objects.values_list("pk", "decision"))}
    assert after == before
    assert not MatchingJob.objects.exists()
    # The control: A's own ids are taken (no 404), so the 404s above are refusals.
    for method, path, data in own:
        response = getattr(alice, method)(f"/o/ville-a/{path}", data)
        assert response.status_code != 404, (method, path, data, response.status_code)
