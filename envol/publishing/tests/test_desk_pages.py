"""The desk's pages with two members: an editor writes and submits, cannot approve their own
post (button absent, POST refused), a reviewer approves; previews, calendar, iCalendar feed,
published list and audit CSV. Without JavaScript: every step is a plain form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from icalendar import Calendar

from envol.orgs.models import ConnectedAccount, Network, Organisation, Role
from envol.orgs.services import add_member, create_organisation
from envol.publishing import calendar as desk_calendar
from envol.publishing.models import Post, PostState
from envol.publishing.tests.test_publish import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db: None) -> Organisation:
    org = create_organisation("lyon", "Ville de Lyon")
    ConnectedAccount.objects.create(organisation=org, network=Network.BLUESKY, handle="lyon.test")
    ConnectedAccount.objects.create(
        organisation=org,
        network=Network.MASTODON,
        handle="@lyon@social.test",
        instance_url="https://social.invalid",
    )
    return org


def member(org: Organisation, role: str, name: str | None = None) -> Client:
    email = f"{name or role}@lyon.test"
    add_member(org, email, role, password=f"pw-{role}-123456")
    client = Client()
    assert client.login(username=email, password=f"pw-{role}-123456")
    return client


def compose(client: Client, org: Organisation, action: str, **extra: object) -> object:
    targets = list(ConnectedAccount.objects.filter(organisation=org).values_list("pk", flat=True))
    data = {
        "text": "La fête des Lumières commence ce soir à 18 h https://lyon.fr #Lumieres",
        "targets": targets,
        "lang": "fr",
        "numbering": "on",
        "action": action,
    }
    data.update(extra)
    return client.post(f"/o/{org.slug}/desk/new/", data)


def test_the_whole_flow_without_javascript(org: Organisation) -> None:
    editor = member(org, Role.EDITOR)
    reviewer = member(org, Role.REVIEWER)
    base = f"/o/{org.slug}/desk/"
    assert editor.get(base).status_code == 200
    assert editor.get(base + "new/").status_code == 200

    from django.core.files.uploadedfile import SimpleUploadedFile

    missing_alt = compose(
        editor, org, "preview", image_1=SimpleUploadedFile("a.png", png(), "image/png")
    )
    assert missing_alt.status_code == 200  # the form again, naming the problem
    assert "le texte alternatif est obligatoire" in missing_alt.content.decode()
    assert not Post.objects.exists()

    saved = compose(
        editor,
        org,
        "preview",
        image_1=SimpleUploadedFile("a.png", png(), "image/png"),
        image_alt_1="Les façades illuminées de la place des Terreaux",
    )
    assert saved.status_code == 302
    post = Post.objects.get()
    page = editor.get(saved["Location"]).content.decode()
    assert "Bluesky" in page and "Mastodon" in page and " / 300" in page and " / 500" in page

    live = editor.post(
        base + "preview/",
        {"text": "x " * 200, "targets": [a.pk for a in post.targets.all()], "post_id": post.pk},
    )
    assert live.status_code == 200 and "desk-variant" in live.content.decode()

    assert editor.post(f"{base}{post.pk}/submit/").status_code == 302
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW

    own = editor.get(f"{base}{post.pk}/").content.decode()
    assert f"{post.pk}/approve/" not in own
    assert editor.post(f"{base}{post.pk}/approve/").status_code in (403, 404)
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW

    queue = reviewer.get(base + "review/").content.decode()
    assert f"{base}{post.pk}/" in queue
    assert f"{post.pk}/approve/" in reviewer.get(f"{base}{post.pk}/").content.decode()
    assert reviewer.post(f"{base}{post.pk}/approve/").status_code == 302
    post.refresh_from_db()
    assert post.state in (PostState.APPROVED, PostState.SCHEDULED, PostState.PUBLISHING)

    for path in ("calendar/", "calendar/?view=month", "published/", "review/"):
        assert reviewer.get(base + path).status_code == 200, path
    assert reviewer.get(base + "audit.csv").status_code == 200


def test_schedule_shows_on_the_calendar_and_in_the_ics_feed(org: Organisation) -> None:
    editor = member(org, Role.EDITOR)
    answer = compose(editor, org, "save", planned_date="2030-03-31", planned_time="09:30")
    assert answer.status_code == 302
    post = Post.objects.get()
    assert post.planned_at == datetime(2030, 3, 31, 7, 30, tzinfo=UTC)  # Paris summer time
    page = editor.get(f"/o/{org.slug}/desk/calendar/?date=2030-03-31").content.decode()
    assert f"/desk/{post.pk}/" in page and "09:30" in page

    editor.post(f"/o/{org.slug}/desk/calendar/feed/new/")
    page = editor.get(f"/o/{org.slug}/desk/calendar/").content.decode()
    url = page.split('id="feed-url">')[1].split("<")[0]
    feed = Client().get(url.split("testserver", 1)[1])
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert Calendar.from_ical(feed.content).get("x-wr-timezone") == "Europe/Paris"
    a_month_before = datetime(2030, 3, 1, tzinfo=UTC)  # the feed's window follows the clock
    events = Calendar.from_ical(desk_calendar.ics(org, now=a_month_before)).walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [post.planned_at]
    editor.post(f"/o/{org.slug}/desk/calendar/feed/revoke/")
    assert Client().get(url.split("testserver", 1)[1]).status_code == 404


def test_a_skipped_spring_forward_time_is_refused(org: Organisation) -> None:
    editor = member(org, Role.EDITOR)
    answer = compose(editor, org, "save", planned_date="2030-03-31", planned_time="02:30")
    assert answer.status_code == 200
    assert "existe pas" in answer.content.decode()
    assert not Post.objects.exists()


def test_viewers_read_but_do_not_write(org: Organisation) -> None:
    viewer = member(org, Role.VIEWER)
    assert viewer.get(f"/o/{org.slug}/desk/").status_code == 200
    assert viewer.get(f"/o/{org.slug}/desk/new/").status_code in (403, 404)
    assert compose(viewer, org, "save").status_code in (403, 404)
    assert not Post.objects.exists()


def test_the_demo_seeds_every_state_once(org: Organisation) -> None:
    from envol.publishing.demo import seed_desk

    editor = add_member(org, "redaction@lyon.test", Role.EDITOR).user
    reviewer = add_member(org, "relecture@lyon.test", Role.REVIEWER).user
    bluesky = list(ConnectedAccount.objects.filter(organisation=org, network=Network.BLUESKY))
    made = seed_desk(org, editor, reviewer, bluesky)
    assert made is not None
    states = dict(Post.objects.values_list("pk", "state"))
    assert states[made.draft] == PostState.DRAFT
    assert states[made.in_review] == PostState.IN_REVIEW
    assert states[made.scheduled] == PostState.SCHEDULED
    assert states[made.published] == PostState.DONE
    assert seed_desk(org, editor, reviewer, bluesky) is None  # once


@pytest.mark.parametrize(
    "text",
    [
        "Court.",
        "Rendez-vous 👨‍👩‍👧‍👦 à 18 h avec @mairie.lyon.fr "
        "https://www.lyon.fr/evenement/fete-des-lumieres " * 6,
        "\n\n".join(f"Paragraphe {n} : la ligne {n} du tram est prolongée." for n in range(30)),
    ],
)
def test_the_live_count_is_the_publishing_count(org: Organisation, text: str) -> None:
    """The composer's live preview (the endpoint desk.js calls) counts and cuts exactly as the
    publishing service does when it sends the post."""
    import re

    from envol.publishing import services

    editor = member(org, Role.EDITOR)
    bluesky = ConnectedAccount.objects.get(organisation=org, network=Network.BLUESKY)
    live = editor.post(
        f"/o/{org.slug}/desk/preview/", {"text": text, "targets": [bluesky.pk], "numbering": "on"}
    ).content.decode()
    shown = [int(n) for n in re.findall(r'data-count="(\d+)"', live)]
    (variant,) = services.plan(text, [bluesky], numbering=True)
    assert shown == list(variant.counts)
