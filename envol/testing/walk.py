"""The pages of envol, for the browser walk (envol/web/tests/test_walk_browser.py): an
organisation with demo-like data made through the apps' services, and every page's address.

A new page gets into the walk by one line in `PAGES` (its address, with `{org}`, `{import_id}`…
taken from `Seeded`); `test_every_page_is_walked` fails for a GET route that is neither there nor
in `NOT_PAGES` (downloads, POST-only actions).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

if TYPE_CHECKING:
    from envol.orgs.models import ConnectedAccount, Organisation
    from envol.publishing.demo import DeskDemo

ORG = "ville-walk"
OTHER_ORG = "agglo-walk"
EMAIL = "admin@walk.test"
EDITOR_EMAIL = "editor@walk.test"
LONELY_EMAIL = "alone@walk.test"  # a member of no organisation
PERSON_EMAIL = "camille@walk.test"  # a person who signed in with Bluesky (a password for the walk)
PASSWORD = "pw-walk-123456"


@dataclass(frozen=True)
class WalkPage:
    name: str
    path: str  # formatted with Seeded's fields
    signed_in: bool = True
    status: int = 200
    user: str = EMAIL


@dataclass(frozen=True)
class Seeded:
    org: str
    import_id: int
    job_id: int
    link_id: int
    post_id: int  # a draft with an image (the composer and the post page)
    review_id: int  # another member's post waiting for review
    assessment_id: int = 0
    older_assessment_id: int = 0
    person: str = "p-walk"  # a personal space's slug
    person_account: int = 1
    relay_id: int = 0
    channel_id: int = 0  # the Bluesky account's insights
    import_channel_id: int = 0  # a closed platform's page, known from its exports
    campaign_id: int = 0


PAGES: list[WalkPage] = [
    # signed out
    WalkPage("login", "/accounts/login/", signed_in=False),
    WalkPage("password-reset", "/accounts/password_reset/", signed_in=False),
    WalkPage("password-reset-done", "/accounts/password_reset/done/", signed_in=False),
    WalkPage("password-reset-bad-link", "/accounts/reset/MQ/bad-token/", signed_in=False),
    WalkPage("password-reset-complete", "/accounts/reset/done/", signed_in=False),
    WalkPage("public-page", "/{org}/", signed_in=False),
    WalkPage("accessibility", "/about/accessibility/", signed_in=False),
    WalkPage("legal", "/about/legal/", signed_in=False),
    WalkPage("not-found", "/no-such-page/", signed_in=False, status=404),
    WalkPage("signin", "/signin/", signed_in=False),
    # signed in
    WalkPage("no-organisation", "/", user=LONELY_EMAIL),
    WalkPage("dashboard", "/o/{org}/"),
    WalkPage("password-change", "/accounts/password_change/"),
    WalkPage("password-change-done", "/accounts/password_change/done/"),
    WalkPage("accounts", "/o/{org}/accounts/"),
    WalkPage("organisation", "/o/{org}/accounts/organisation/"),
    WalkPage("connect-bluesky", "/o/{org}/accounts/bluesky/"),
    WalkPage("connect-mastodon", "/o/{org}/accounts/mastodon/"),
    WalkPage("leaving", "/o/{org}/leaving/"),
    WalkPage("checklist", "/o/{org}/leaving/checklist/"),
    WalkPage("public-page-edit", "/o/{org}/leaving/page/"),
    WalkPage("link-add", "/o/{org}/leaving/page/links/new/"),
    WalkPage("link-edit", "/o/{org}/leaving/page/links/{link_id}/"),
    WalkPage("announce", "/o/{org}/leaving/announce/"),
    WalkPage("starter-pack", "/o/{org}/leaving/starter-pack/?import={import_id}"),
    WalkPage("handle", "/o/{org}/leaving/handle/"),
    WalkPage("imports", "/o/{org}/imports/"),
    WalkPage("upload", "/o/{org}/imports/upload/"),
    WalkPage("import", "/o/{org}/imports/{import_id}/"),
    WalkPage("matches", "/o/{org}/matches/"),
    WalkPage("own-links", "/o/{org}/matches/own/"),
    WalkPage("migrations", "/o/{org}/migration/"),
    WalkPage("migration", "/o/{org}/migration/{job_id}/"),
    WalkPage("history-site", "/o/{org}/history/site/"),
    WalkPage("history-bluesky", "/o/{org}/history/bluesky/"),
    WalkPage("insights", "/o/{org}/insights/"),
    WalkPage("insights-all-time", "/o/{org}/insights/?start=&end=&network="),
    WalkPage("insights-channel", "/o/{org}/insights/channels/{channel_id}/"),
    WalkPage("insights-channel-import", "/o/{org}/insights/channels/{import_channel_id}/?start="),
    WalkPage("insights-campaign", "/o/{org}/insights/campaigns/{campaign_id}/"),
    WalkPage("relays", "/o/{org}/relays/"),
    WalkPage("relay-new", "/o/{org}/relays/new/"),
    WalkPage("relay", "/o/{org}/relays/{relay_id}/"),
    WalkPage("insights-import", "/o/{org}/insights/import/"),
    WalkPage("decide", "/o/{org}/decide/"),
    WalkPage("decide-effort", "/o/{org}/decide/effort/?week=2025-03-10"),
    WalkPage("decide-costs", "/o/{org}/decide/costs/"),
    WalkPage("decide-roi", "/o/{org}/decide/roi/"),
    WalkPage("decide-method", "/o/{org}/decide/method/"),
    WalkPage("decide-questions", "/o/{org}/decide/questions/"),
    WalkPage("decide-assess", "/o/{org}/decide/questions/bluesky/new/"),
    WalkPage("decide-assessment", "/o/{org}/decide/questions/{assessment_id}/"),
    WalkPage(
        "decide-compare",
        "/o/{org}/decide/questions/compare/?a={older_assessment_id}&b={assessment_id}",
    ),
    WalkPage("decide-sheet", "/o/{org}/decide/networks/x/"),
    WalkPage("decide-scenarios", "/o/{org}/decide/scenarios/"),
    WalkPage("decide-report", "/o/{org}/decide/report/"),
    WalkPage("desk", "/o/{org}/desk/"),
    WalkPage("desk-compose", "/o/{org}/desk/new/"),
    WalkPage("desk-edit", "/o/{org}/desk/{post_id}/edit/"),
    WalkPage("desk-post", "/o/{org}/desk/{post_id}/"),
    WalkPage("desk-post-to-review", "/o/{org}/desk/{review_id}/"),
    WalkPage("desk-review", "/o/{org}/desk/review/"),
    WalkPage("desk-calendar", "/o/{org}/desk/calendar/"),
    WalkPage("desk-calendar-month", "/o/{org}/desk/calendar/?view=month"),
    WalkPage("desk-published", "/o/{org}/desk/published/"),
    WalkPage("other-org-not-found", "/o/{org}-nope/", status=404),
    # a personal space
    WalkPage("person-journey", "/o/{person}/me/", user=PERSON_EMAIL),
    WalkPage("person-archive", "/o/{person}/me/archive/", user=PERSON_EMAIL),
    WalkPage("person-found", "/o/{person}/me/found/", user=PERSON_EMAIL),
    WalkPage("person-follow", "/o/{person}/me/follow/", user=PERSON_EMAIL),
    WalkPage("person-accounts", "/o/{person}/me/accounts/", user=PERSON_EMAIL),
    WalkPage("person-consent", "/o/{person}/me/accounts/{person_account}/", user=PERSON_EMAIL),
    WalkPage("person-email", "/o/{person}/me/email/", user=PERSON_EMAIL),
    WalkPage("person-data", "/o/{person}/me/data/", user=PERSON_EMAIL),
    WalkPage("person-signin-connect", "/signin/", user=PERSON_EMAIL),
]

NOT_PAGES: dict[str, str] = {
    # Route (as Django writes it) → why the walk does not open it.
    "healthz": "JSON for monitoring",
    "brand/<slug:org>/style.css": "a stylesheet, loaded by every branded page",
    "brand/<slug:org>/logo.png": "an image, loaded by every branded page",
    "o/switch/": "POST only (the organisation switcher)",
    "connect/mastodon/callback/": "the Mastodon server's redirect after authorisation",
    "accounts/logout/": "POST only",
    "accounts/reset/<uidb64>/<token>/": "opened with a bad token (password-reset-bad-link)",
    "about/<slug:kind>/": "opened as accessibility and legal",
    "<slug:public_slug>/": "opened as public-page",
    "<slug:public_slug>/archive/": "the published static archive site (tested in envol/history)",
    "<slug:public_slug>/archive/<path:relative>": "files of the published archive site",
    "o/<slug:org>/accounts/<int:account_id>/recheck/": "POST only",
    "o/<slug:org>/history/bluesky/<int:job_id>/": "POST only (pause, resume, cancel)",
    "o/<slug:org>/insights/channels/<int:channel_id>/readings/": "POST only (pause, resume)",
    "o/<slug:org>/accounts/<int:account_id>/disconnect/": "POST only",
    "o/<slug:org>/leaving/page/links/<int:link_id>/delete/": "POST only",
    "o/<slug:org>/leaving/announce/publish/": "POST only",
    "o/<slug:org>/leaving/starter-pack/mastodon.csv": "a CSV download",
    "o/<slug:org>/matches/decide/": "POST only",
    "o/<slug:org>/matches/compute/": "POST only",
    "o/<slug:org>/matches/export/": "a file download",
    "o/<slug:org>/matches/own/consent/": "POST only",
    "o/<slug:org>/migration/start/": "POST only",
    "o/<slug:org>/migration/<int:job_id>/<str:action>/": "POST only (pause, resume, cancel)",
    "o/<slug:org>/migration/<int:job_id>/report.csv": "a CSV download",
    "signin/bluesky/callback/": "Bluesky's redirect after authorisation",
    "signin/mastodon/callback/": "the Mastodon server's redirect after authorisation",
    "oauth/client-metadata.json": "JSON for authorisation servers",
    "o/<slug:org>/me/data/envol-my-data.json": "a JSON download",
    "o/<slug:org>/me/data/delete/": "POST only",
    ".well-known/envol/crosswalk-feed.jsonl": "JSON Lines for other instances",
    ".well-known/envol/crosswalk-key": "JSON for other instances",
    "o/<slug:org>/insights/import/columns/": "reached by posting a file whose columns are unknown",
    "o/<slug:org>/decide/effort/import/": "POST only (a CSV of hours)",
    "o/<slug:org>/decide/effort/estimate/": "POST only (confirming an estimate)",
    "o/<slug:org>/decide/report/file/": "a PDF or HTML download",
    "o/<slug:org>/desk/preview/": "POST only (the composer's live preview fragment)",
    "o/<slug:org>/desk/calendar/feed/new/": "POST only",
    "o/<slug:org>/desk/calendar/feed/revoke/": "POST only",
    "o/<slug:org>/desk/audit.csv": "a CSV download",
    "o/<slug:org>/desk/media/<int:media_id>/": "an image, loaded by the composer and post pages",
    "o/<slug:org>/desk/<int:post_id>/comment/": "POST only",
    "o/<slug:org>/desk/<int:post_id>/reschedule/": "POST only (the calendar's move form)",
    "o/<slug:org>/desk/<int:post_id>/<slug:action>/": "POST only (submit, approve, reject…)",
    "calendar/<str:token>.ics": "an iCalendar feed (tested in envol/publishing)",
}


def logo_png() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (160, 64), "#1d6f42")
    image.paste(Image.new("RGB", (48, 48), "#ffffff"), (8, 8))
    image.save(out, format="PNG")
    return out.getvalue()


def seed(data_dir: Path) -> Seeded:
    """One organisation in the middle of its journey: accounts connected, an archive imported,
    matches (some to review), a paused follow migration, a published public page."""
    from envol.archives.x_records import RelationKind
    from envol.crosswalk.dataset import COLUMNS
    from envol.crosswalk.matching import compute_matches
    from envol.crosswalk.services import import_dataset
    from envol.leaving import services as leaving
    from envol.leaving.models import PublicLink
    from envol.migration import services as migration
    from envol.orgs.brand import clean_logo
    from envol.orgs.models import ConnectedAccount, Role
    from envol.orgs.services import add_member, create_organisation, update_brand
    from envol.portability.services import import_archive
    from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

    org = create_organisation(ORG, "Ville de Walk-sur-Mer", website="https://www.walk.test")
    other = create_organisation(OTHER_ORG, "Agglomération de Walk")
    add_member(org, EMAIL, Role.ADMIN, password=PASSWORD)
    add_member(other, EMAIL, Role.VIEWER)
    add_member(create_organisation("solo-walk", "Solo"), "x@walk.test", Role.ADMIN)
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(LONELY_EMAIL, LONELY_EMAIL, PASSWORD)
    update_brand(org, colour="#1d6f42", logo_png=clean_logo(io.BytesIO(logo_png()), 1000))
    bluesky = ConnectedAccount.objects.create(
        organisation=org,
        network="bluesky",
        handle="ville-walk.bsky.social",
        remote_id="did:plc:" + "a" * 24,
    )
    ConnectedAccount.objects.create(
        organisation=org,
        network="mastodon",
        handle="ville@social.walk.test",
        instance_url="https://social.walk.test",
        status=ConnectedAccount.Status.BROKEN,
        status_detail="The token was revoked.",
    )
    factory = XArchiveFactory(ArchiveSpec(seed=7, tweets=60, following=30, followers=10))
    archive_path = data_dir / "walk-archive.zip"
    factory.write_zip(archive_path)
    archive = import_archive(org, archive_path)
    dataset = data_dir / "walk-crosswalk.csv"
    with dataset.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for index, x_id in enumerate(factory.relation_ids(RelationKind.FOLLOWING)[:12]):
            did = "did:plc:" + f"{index:024d}".translate(str.maketrans("0123456789", "abcdefghij"))
            writer.writerow(
                [
                    x_id,
                    "",
                    f"partner{index}.bsky.social",
                    did,
                    "",
                    "walk",
                    0.95 if index < 8 else 0.7,
                ]
            )
    import_dataset(dataset, "walk")
    compute_matches(archive, "bluesky")
    job = migration.create_job(org, archive.pk, bluesky, "bluesky")
    migration.pause(job)
    page = leaving.page_of(org)
    page.published = True
    page.intro_fr = "Nous avons quitté X.\nRetrouvez-nous sur nos nouveaux réseaux."
    page.intro_en = "We have left X.\nFind us on our new networks."
    page.save()
    link = PublicLink.objects.create(
        organisation=org,
        network="newsletter",
        handle="La lettre de Walk",
        url="https://www.walk.test/lettre",
    )
    leaving.tick(org, "stop_posting", True, None)
    from django.contrib.auth import get_user_model

    from envol.decide.demo import seed_demo_decide

    decided = seed_demo_decide(
        org, data_dir / "walk-decide", get_user_model().objects.get(username=EMAIL)
    )
    assert decided is not None
    desk = _seed_desk(org, bluesky)
    person, person_account = _seed_person(archive_path)
    relay = seed_relay(org, bluesky)
    from envol.demo import seed_demo_insights
    from envol.insights.models import Campaign, Channel

    seed_demo_insights(org, data_dir / "insights")
    return Seeded(
        org=org.slug,
        import_id=archive.pk,
        job_id=job.pk,
        link_id=link.pk,
        post_id=desk.draft,
        review_id=desk.in_review,
        assessment_id=decided.latest_x_assessment,
        older_assessment_id=decided.first_x_assessment,
        person=person,
        person_account=person_account,
        relay_id=relay.pk,
        channel_id=Channel.objects.get(connected_account=bluesky).pk,
        import_channel_id=Channel.objects.get(organisation=org, platform="linkedin").pk,
        campaign_id=Campaign.objects.get(organisation=org, name="Crue de la Vilaine").pk,
    )


def _seed_desk(org: Organisation, bluesky: ConnectedAccount) -> DeskDemo:
    """The desk's demo posts, written by another member so the admin walking sees the
    reviewer's buttons."""
    from envol.orgs.models import Membership, Role
    from envol.orgs.services import add_member
    from envol.publishing.demo import seed_desk

    editor = add_member(org, EDITOR_EMAIL, Role.EDITOR, password=PASSWORD).user
    admin = Membership.objects.get(organisation=org, user__email=EMAIL).user
    found = seed_desk(org, editor, admin, [bluesky])
    assert found is not None
    return found


def _seed_person(archive_path: Path) -> tuple[str, int]:
    """Camille signed in with Bluesky, gave an archive (the same follows as the city's, so the
    walk's dataset finds some) and chose who may find her."""
    from django.test import override_settings

    from envol.orgs.models import ConnectedAccount
    from envol.people import services as people
    from envol.portability.services import import_archive

    identity = people.NetworkIdentity(
        "bluesky", "did:plc:" + "c" * 24, "camille.bsky.social", "https://bsky.social"
    )
    with override_settings(ENVOL_SIGNUP="open"):
        user = people.sign_in(identity)
    user.username = user.email = PERSON_EMAIL  # the walk signs in with a password
    user.set_password(PASSWORD)
    user.save()
    space = people.person_space_of(user)
    assert space is not None
    import_archive(space, archive_path)
    people.after_import(space)
    account = ConnectedAccount.objects.get(organisation=space)
    people.set_consent(account, "followers")
    return space.slug, account.pk


def seed_relay(org: Any, target: Any) -> Any:
    """A relay of the town's news feed with a history: one item relayed, one skipped, one
    waiting (made directly: the walk reads no source)."""
    from django.utils import timezone

    from envol.relays.models import Outcome, Relay, RelayItem, RelayTarget

    now = timezone.now()
    relay = Relay.objects.create(
        organisation=org,
        name="Actualités de Walk-sur-Mer",
        source_kind="rss",
        source="https://www.walk.test/actualites.xml",
        source_state={"url": "https://www.walk.test/actualites.xml"},
        primed_at=now,
        last_poll_at=now,
        last_success_at=now,
        due_at=now,
    )
    RelayTarget.objects.create(relay=relay, account=target)
    for rank, (title, outcome, reason) in enumerate(
        [
            ("Le marché de Noël ouvre samedi", Outcome.RELAYED, ""),
            ("Travaux rue des Lilas", Outcome.WAITING, ""),
            ("Conseil municipal du 3 mars", Outcome.SKIPPED, "baseline"),
        ]
    ):
        RelayItem.objects.create(
            relay=relay,
            key=f"https://www.walk.test/actualites/{rank}",
            url=f"https://www.walk.test/actualites/{rank}",
            title=title,
            seen_at=now,
            outcome=outcome,
            reason=reason,
            relayed_at=now if outcome == Outcome.RELAYED else None,
        )
    return relay
