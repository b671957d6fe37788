"""The history migration on the real PDS: records accepted with their original dates, facets,
threads rebuilt with refs in order, a quote, a long post split; the keys and CIDs computed before
the write are the PDS's own; the account's budget shared with a follow migration, parking when it
is spent; and a SIGKILL of the real worker never writes a post twice nor breaks a thread."""

from __future__ import annotations

import io
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image

from envol.history import moving
from envol.history.models import HistoryMigration, MoveState, PostState
from envol.jobs.pace import seconds_to_send
from envol.jobs.runner import Runner, run_to_end
from envol.migration import services as follows
from envol.migration.jobs import FOLLOW_MIGRATION
from envol.migration.models import JobState
from envol.migration.tests.conftest import accepted_import, random_did
from envol.networks.bluesky import POST, BlueskyNetwork
from envol.orgs.accounts import network_for
from envol.orgs.models import Organisation
from envol.portability.models import ArchivedMedia, ArchivedPost, ArchiveImport
from envol.testing.fixtures.pds import connected_bluesky
from envol.testing.subprocess_db import start_worker

pytestmark = pytest.mark.pds

START = datetime(2014, 3, 9, 8, 30, tzinfo=UTC)
LONG = " ".join(f"Phrase numéro {n} du long message, avec quelques mots." for n in range(12))


def add_post(archive: ArchiveImport, x_id: int, minutes: int, text: str, **fields: Any) -> None:
    ArchivedPost.objects.create(
        source_account=archive.source_account,
        remote_id=str(x_id),
        created_at=START + timedelta(minutes=minutes),
        text=text,
        lang=fields.pop("lang", "fr"),
        **fields,
    )


def add_media(archive: ArchiveImport, x_id: str, kind: str, alt: str) -> None:
    """A media file the import kept (a real PNG for a photo)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (31, 79, 143)).save(out, format="PNG")
    keep_file(archive, x_id, kind, alt, f"{x_id}-{kind}.png", out.getvalue())


def keep_file(
    archive: ArchiveImport, x_id: str, kind: str, alt: str, name: str, data: bytes, size: int = 0
) -> None:
    """`data` kept by the import as `name`, media of post `x_id`; `size` makes it a sparse file
    of that many bytes (over a limit) without writing them."""
    folder = Path(settings.MEDIA_ROOT) / "x"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("wb") as out:
        out.write(data)
        if size:
            out.truncate(size)
    ArchivedMedia.objects.create(
        source_account=archive.source_account,
        post_remote_id=x_id,
        position=0,
        kind=kind,
        file_name=name,
        alt_text=alt,
        stored_path=f"x/{name}",
    )


def plain(value: Any) -> Any:
    """A stored record without the `$type`s the SDK adds to refs (what the test compares)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "$type"}
    return value


def own_id(archive: ArchiveImport) -> str:
    assert archive.source_account is not None
    return archive.source_account.remote_id


def sample_archive(org: Organisation, partner_did: str) -> ArchiveImport:
    """An archive whose own X id follows `1000` (accepted on Bluesky as `partner_did`)."""
    archive = accepted_import(org, "bluesky", [partner_did])
    me = own_id(archive)
    add_post(
        archive,
        501,
        0,
        "Bonjour @partner et @inconnu ! Lisez https://www.example.org/actualites/2014/mars/plan "
        "#VilleNumerique",
        mentions=[{"id": "1000", "username": "partner"}, {"id": "77", "username": "inconnu"}],
    )
    add_post(archive, 502, 1, "Un fil : 1/3")
    add_media(archive, "502", "photo", "Plan du quartier, vu du ciel")
    add_media(archive, "501", "video", "")  # not carried: the archive site keeps it
    add_post(archive, 503, 2, "2/3", reply_to_post_id="502", reply_to_user_id=me)
    add_post(archive, 504, 3, "3/3", reply_to_post_id="503", reply_to_user_id=me)
    add_post(archive, 505, 4, "Réponse à quelqu'un", reply_to_post_id="9", reply_to_user_id="8")
    add_post(archive, 506, 5, "RT @other: pas à nous", is_retweet=True)
    add_post(archive, 507, 6, LONG, is_note=True)
    add_post(
        archive,
        508,
        7,
        "Nous le disions : https://twitter.com/ville/status/502",
        quoted_post_url="https://twitter.com/ville/status/502",
    )
    return archive


@pytest.mark.django_db(transaction=True)
def test_posts_land_backdated_with_facets_threads_quote_and_split(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    partner = random_did()
    archive = sample_archive(org, partner)
    account = connected_bluesky(org, pds, pds_account)
    planned = moving.plan(org, archive.pk, account, moving.Choice())
    assert (planned.posts, planned.replies, planned.quotes, planned.long_posts) == (6, 2, 1, 1)
    assert planned.records > 6 and planned.skipped == 0
    assert (planned.images, planned.images_without_alt, planned.media_not_carried) == (1, 0, 1)

    job = moving.create_job(org, archive.pk, account, moving.Choice())
    job = run_to_end(job)
    assert job.state == MoveState.DONE and job.count_done == planned.records == job.total

    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    items = {(i.x_id, i.part): i for i in job.items.all()}
    stored = {}
    for (x_id, part), item in items.items():
        found = network.post_ref(item.record_key)
        assert found is not None, (x_id, part)
        assert found[1] == item.cid  # the CID computed before the write is the PDS's
        stored[(x_id, part)] = network.get_post(item.record_key)
    assert {x for x, _p in items} == {"501", "502", "503", "504", "507", "508"}  # 505, 506 out

    first = stored[("501", 0)]
    assert first is not None and first["createdAt"] == "2014-03-09T08:30:00.000Z"
    features = [f["features"][0] for f in first["facets"]]
    assert {f["$type"] for f in features} == {
        "app.bsky.richtext.facet#mention",
        "app.bsky.richtext.facet#link",
        "app.bsky.richtext.facet#tag",
    }
    assert [f["did"] for f in features if "did" in f] == [partner]  # @inconnu stays text
    assert "@inconnu" in first["text"]
    link = next(f for f in features if "uri" in f)
    assert link["uri"] == "https://www.example.org/actualites/2014/mars/plan"
    text = first["text"].encode()
    for facet in first["facets"]:  # byte ranges name the text they decorate
        index = facet["index"]
        piece = text[index["byteStart"] : index["byteEnd"]].decode()
        assert piece.startswith(("@", "#", "www.example.org"))

    def ref(x_id: str, part: int = 0) -> dict[str, str]:
        item = items[(x_id, part)]
        return {"uri": f"at://{network.did}/{POST}/{item.record_key}", "cid": item.cid}

    embed = stored[("502", 0)]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [image["alt"] for image in embed["images"]] == ["Plan du quartier, vu du ciel"]
    assert plain(stored[("503", 0)]["reply"]) == {"root": ref("502"), "parent": ref("502")}
    assert plain(stored[("504", 0)]["reply"]) == {"root": ref("502"), "parent": ref("503")}
    assert items[("502", 0)].record_key < items[("503", 0)].record_key  # keys in original order

    parts = sorted(part for x, part in items if x == "507")
    assert len(parts) >= 2
    for part in parts[1:]:
        assert plain(stored[("507", part)]["reply"]) == {
            "root": ref("507"),
            "parent": ref("507", part - 1),
        }
    joined = " ".join(stored[("507", p)]["text"] for p in parts)
    assert joined.split() == LONG.split()

    quote = stored[("508", 0)]
    assert plain(quote["embed"]["record"]) == ref("502")
    assert "twitter.com" not in quote["text"]
    assert moving.posted_map(job)["502"] == ref("502")["uri"]


@pytest.mark.django_db
def test_the_planner_is_the_budget_arithmetic(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    archive = accepted_import(org, "bluesky", [])
    for n in range(30):
        add_post(archive, 600 + n, n, f"Message {n}")
    account = connected_bluesky(org, pds, pds_account)
    alone = moving.plan(org, archive.pk, account, moving.Choice())
    assert alone.records == 30 and alone.alongside == 0
    assert alone.seconds == seconds_to_send(30, moving.PACE)
    # 5,000 points an hour and 35,000 a day at 3 points a create: 1,666 an hour, 11,666 a day
    # (200 at a time) — 12,400 posts take more than a day, less than two.
    day = seconds_to_send(12_400, moving.PACE)
    assert 86_400 < day < 2 * 86_400
    assert seconds_to_send(1_600, moving.PACE) < 3_600 < seconds_to_send(1_700, moving.PACE)
    # A follow migration of the same account draws on the same budget: the plan says so.
    follow_job = follows.create_job(
        org,
        accepted_import(org, "bluesky", [random_did() for _ in range(2000)]).pk,
        account,
        "bluesky",
    )
    shared = moving.plan(org, archive.pk, account, moving.Choice())
    assert shared.alongside == follow_job.total == 2000
    assert shared.seconds == seconds_to_send(30, moving.PACE, alongside=2000)
    assert seconds_to_send(1_600, moving.PACE, alongside=2000) > 3_600  # shared: over an hour
    with pytest.raises(moving.HistoryMoveError):
        moving.plan(org, archive.pk + 999, account, moving.Choice())


@pytest.mark.django_db
def test_one_budget_for_the_follow_and_the_history_migrations_then_parking(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    """Both jobs of one account run side by side under the published limits (the PDS's are
    off): together they write what 5,000 points an hour allow, then both park until the hour."""
    now = [datetime(2030, 5, 1, 9, 0, tzinfo=UTC)]

    def clock() -> datetime:
        return now[0]

    account = connected_bluesky(org, pds, pds_account)
    archive = accepted_import(org, "bluesky", [])
    for n in range(1200):
        add_post(archive, 10_000 + n, n, f"Message d'archive {n}")
    history_job = moving.create_job(org, archive.pk, account, moving.Choice())
    follow_job = follows.create_job(
        org,
        accepted_import(org, "bluesky", [random_did() for _ in range(1200)]).pk,
        account,
        "bluesky",
    )
    from envol.history.jobs import HISTORY_MIGRATION

    runner = Runner([HISTORY_MIGRATION, FOLLOW_MIGRATION], clock=clock)
    for _round in range(40):
        if not runner.run_once():
            break
    history_job.refresh_from_db()
    follow_job.refresh_from_db()
    assert history_job.state == MoveState.WAITING and follow_job.state == JobState.WAITING
    written = history_job.count_done + follow_job.count_done
    assert written == 5000 // 3 and history_job.count_done > 0  # 1,666 creates of 3 points
    assert follow_job.count_done > 0
    assert history_job.count_failed == follow_job.count_failed == 0
    now[0] = max(history_job.due_at, follow_job.due_at) + timedelta(seconds=1)  # the hour ends
    for _round in range(60):
        if not runner.run_once():
            break
    history_job.refresh_from_db()
    follow_job.refresh_from_db()
    assert history_job.state == MoveState.DONE and follow_job.state == JobState.DONE
    assert history_job.count_done == 1200 and follow_job.count_done == 1200


POSTS = 2000
KILLS = 10


def moved(job: HistoryMigration) -> int:
    return job.items.exclude(state=PostState.PENDING).count()


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.django_db(transaction=True)
def test_sigkill_of_the_worker_never_posts_twice_and_keeps_threads_whole(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    rng = random.Random(18)
    account = connected_bluesky(org, pds, pds_account)
    archive = accepted_import(org, "bluesky", [])
    me = own_id(archive)
    rows = []
    for n in range(POSTS):
        reply = n % 4 != 0  # threads of four: a post and three self-replies
        rows.append(
            ArchivedPost(
                source_account=archive.source_account,
                remote_id=str(20_000 + n),
                created_at=START + timedelta(minutes=n),
                text=f"Message {n} de l'archive",
                reply_to_post_id=str(20_000 + n - 1) if reply else "",
                reply_to_user_id=me if reply else "",
            )
        )
    ArchivedPost.objects.bulk_create(rows)
    job = moving.create_job(
        org,
        archive.pk,
        account,
        moving.Choice(),
        options={"batch_size": 40, "published_limits": False},
    )
    kills = 0
    while kills < KILLS:
        before = moved(job)
        worker = start_worker()
        deadline = time.monotonic() + 60
        while moved(job) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.08))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills += 1
        job.refresh_from_db()
        if not job.is_active:
            break
    assert kills == KILLS
    worker = start_worker()
    try:
        deadline = time.monotonic() + 1200  # a deadline, not a measure: machines differ
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if not job.is_active:
                break
            time.sleep(0.2)
        assert not job.is_active, (
            f"job still {job.state}: {moving.status(job)}, due {job.due_at}, held by "
            f"{job.lease_owner!r}, {job.consecutive_errors} errors: {job.last_error}"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert moving.status(job) == {
        "state": "done",
        "posts": POSTS,
        "records": POSTS,
        "done": POSTS,
        "already": 0,
        "skipped": 0,
        "failed": 0,
        "pending": 0,
    }
    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    records = list(network.list_records(POST))
    assert len(records) == POSTS
    texts = Counter(value["text"] for _key, value in records)
    assert max(texts.values()) == 1  # no post twice
    keys = {f"at://{network.did}/{POST}/{key}" for key, _value in records}
    for _key, value in records:  # every reply's parent and root exist
        if "reply" in value:
            assert value["reply"]["parent"]["uri"] in keys
            assert value["reply"]["root"]["uri"] in keys


@pytest.mark.django_db
def test_a_history_larger_than_the_pds_hourly_limit_parks_then_finishes(
    org: Organisation, pds_rate_limited: Any
) -> None:
    """On a PDS applying its real limits: the job parks (foreseen from the PDS's headers, or on
    its 429) without failing or leaving a batch in doubt, and finishes once the window passed,
    every post written once."""
    from envol.jobs.runner import step

    pds_rate_limited.restart()  # fresh in-memory counters
    account = connected_bluesky(org, pds_rate_limited, pds_rate_limited.create_account("lim"))
    archive = accepted_import(org, "bluesky", [])
    hourly = 5000 // 3  # 1,666 creates
    rows = [
        ArchivedPost(
            source_account=archive.source_account,
            remote_id=str(40_000 + n),
            created_at=START + timedelta(minutes=n),
            text=f"Publication {n}",
        )
        for n in range(hourly + 60)
    ]
    ArchivedPost.objects.bulk_create(rows)
    job = moving.create_job(
        org, archive.pk, account, moving.Choice(), options={"published_limits": False}
    )
    for _step in range(40):
        if step(job).state not in (MoveState.PENDING, MoveState.RUNNING):
            break
    job.refresh_from_db()
    assert job.state == MoveState.WAITING and job.count_failed == 0
    assert job.count_done <= hourly
    parked_until = job.due_at
    assert parked_until is not None

    pds_rate_limited.restart()  # its limits are in memory: the window "has passed"
    later = parked_until + timedelta(seconds=1)
    for _step in range(20):
        if step(job, clock=lambda: later).state == MoveState.DONE:
            break
    job.refresh_from_db()
    assert moving.status(job)["done"] == hourly + 60 and job.state == MoveState.DONE
    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    records = list(network.list_records(POST))
    assert len(records) == hourly + 60
    assert len({value["text"] for _key, value in records}) == hourly + 60


@pytest.mark.django_db
def test_migrating_the_same_posts_again_writes_nothing_twice(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    """Keys come from the posts: a second migration of the same posts finds them at their keys."""
    account = connected_bluesky(org, pds, pds_account)
    archive = accepted_import(org, "bluesky", [])
    for n in range(5):
        add_post(archive, 700 + n, n, f"Encore {n}")
    first = run_to_end(moving.create_job(org, archive.pk, account, moving.Choice()))
    again = run_to_end(moving.create_job(org, archive.pk, account, moving.Choice()))
    assert first.state == again.state == MoveState.DONE
    assert again.count_done + again.count_already == 5 and again.count_failed == 0
    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    assert len(list(network.list_records(POST))) == 5


# A note tweet with an entity of every kind in each of its parts, multibyte letters around them.
NOTE_PIECES = [
    "Élément {n} : à lire sur https://www.example.org/dossiers/{n}/participation-citoyenne "
    "avec @partner, #Concertation{n} — café ☕ et crème brûlée 🥐 pour tous.",
]
NOTE = " ".join(NOTE_PIECES[0].format(n=n) for n in range(8))


@pytest.mark.django_db
def test_facets_of_a_long_post_split_into_a_thread_are_valid_in_every_part(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    """Each part's facets are byte ranges of that part's own text, on the very entity they name
    (the offsets are recomputed per part, never carried from the whole text)."""
    partner = random_did()
    archive = accepted_import(org, "bluesky", [partner])
    add_post(archive, 801, 0, NOTE, is_note=True, mentions=[{"id": "1000", "username": "partner"}])
    account = connected_bluesky(org, pds, pds_account)
    job = run_to_end(moving.create_job(org, archive.pk, account, moving.Choice()))
    assert job.state == MoveState.DONE and job.count_failed == 0
    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    items = list(job.items.order_by("part"))
    assert len(items) >= 3  # split into a self-thread
    kinds: Counter[str] = Counter()
    for item in items:
        stored = network.get_post(item.record_key)  # as the PDS accepted it
        assert stored is not None
        text = stored["text"].encode()
        assert stored["facets"], f"part {item.part} lost its facets"
        for facet in stored["facets"]:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            assert 0 <= start < end <= len(text), (item.part, facet)
            piece = text[start:end].decode()  # raises if the range cuts a character
            feature = facet["features"][0]
            kind = feature["$type"].rsplit("#", 1)[-1]
            kinds[kind] += 1
            if kind == "mention":
                assert feature["did"] == partner and piece == "@h0.test"
            elif kind == "tag":
                assert piece == "#" + feature["tag"] and feature["tag"].startswith("Concertation")
            else:
                assert kind == "link"
                assert piece.startswith("www.example.org/dossiers/")
                assert feature["uri"].startswith("https://" + piece.rstrip("…"))
                assert feature["uri"].endswith("/participation-citoyenne")
    # every entity of the note is clickable in one part: 8 links, 8 mentions, 8 tags
    assert kinds == {"link": 8, "mention": 8, "tag": 8}
    joined = " ".join(network.get_post(i.record_key)["text"] for i in items)  # type: ignore[index]
    assert "@partner" not in joined and joined.count("@h0.test") == 8


@pytest.mark.django_db
@pytest.mark.parametrize("earlier_job", [False, True], ids=["same-job", "earlier-job"])
def test_a_quote_with_an_image_is_a_record_with_media(
    org: Organisation, pds: Any, pds_account: Any, earlier_job: bool
) -> None:
    """A post quoting an earlier one and carrying an image: `recordWithMedia`, the quoted
    post's strong ref (as the PDS stores it) and the image with its alt text from the archive —
    whether the quoted post goes in the same migration or went in an earlier one."""
    archive = accepted_import(org, "bluesky", [])
    add_post(archive, 901, 0, "Le plan du quartier est publié.")
    add_post(
        archive,
        902,
        60 * 24 * 3,
        "Il est en ligne depuis lundi. https://twitter.com/ville/status/901",
        quoted_post_url="https://twitter.com/ville/status/901",
    )
    add_media(archive, "902", "photo", "Photo de la réunion publique, salle comble")
    account = connected_bluesky(org, pds, pds_account)
    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    if earlier_job:
        first = run_to_end(
            moving.create_job(org, archive.pk, account, moving.Choice(until=START.date()))
        )
        quoted = first.items.get(x_id="901")
        later = moving.Choice(since=START.date() + timedelta(days=1))
        job = run_to_end(moving.create_job(org, archive.pk, account, later))
    else:
        job = run_to_end(moving.create_job(org, archive.pk, account, moving.Choice()))
        quoted = job.items.get(x_id="901")
    assert job.state == MoveState.DONE and job.count_failed == 0
    quoting = job.items.get(x_id="902")
    stored_quoted = network.post_ref(quoted.record_key)
    assert stored_quoted == (f"at://{network.did}/{POST}/{quoted.record_key}", quoted.cid)
    record = network.get_post(quoting.record_key)
    assert record is not None
    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.recordWithMedia"
    assert plain(embed["record"]["record"]) == {"uri": stored_quoted[0], "cid": stored_quoted[1]}
    assert embed["media"]["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["media"]["images"]] == [
        "Photo de la réunion publique, salle comble"
    ]
    assert embed["media"]["images"][0]["image"]["mimeType"] == "image/png"
    assert record["text"] == "Il est en ligne depuis lundi."  # the quoted URL is the embed


def add_video(archive: ArchiveImport, x_id: str, kind: str, alt: str, size: int = 0) -> bytes:
    """An MP4 file the import kept (an `ftyp` box of the `isom` brand, then its data)."""
    data = (
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
        + b"\x00\x00\x00\x10mdat"
        + (x_id.encode() * 4)[:8]
    )
    keep_file(archive, x_id, kind, alt, f"{x_id}-{kind}.mp4", data, size)
    return data


@pytest.mark.django_db
def test_videos_and_gifs_within_the_pds_limit_land_as_video_embeds(
    org: Organisation, pds: Any, pds_account: Any
) -> None:
    """An MP4 video and an X GIF (an MP4 too) are uploaded as blobs and embedded
    (`app.bsky.embed.video`, a GIF played as one); a video over the PDS's upload limit is
    counted as not carried and its post goes without it."""
    from envol.networks.cid import blob_cid

    archive = accepted_import(org, "bluesky", [])
    add_post(archive, 951, 0, "La vidéo de l'inauguration")
    video = add_video(archive, "951", "video", "Le maire coupe le ruban")
    add_post(archive, 952, 1, "Quand le tram arrive")
    gif = add_video(archive, "952", "animated_gif", "Un tram qui arrive, en boucle")
    add_post(archive, 953, 2, "Le conseil en entier")
    add_video(archive, "953", "video", "", size=moving.MAX_VIDEO_BYTES + 1)
    account = connected_bluesky(org, pds, pds_account)
    planned = moving.plan(org, archive.pk, account, moving.Choice())
    assert (planned.posts, planned.videos, planned.media_not_carried) == (3, 2, 1)
    from envol.history.move_texts import plan_lines

    lines = plan_lines(planned)  # in French (the conftest's default)
    assert "2 vidéos ou GIF avec leurs publications" in lines
    assert any(line.startswith("1 vidéo, GIF ou fichier non conservé") for line in lines)
    job = run_to_end(moving.create_job(org, archive.pk, account, moving.Choice()))
    assert job.state == MoveState.DONE and job.count_done == 3 and job.count_failed == 0
    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    stored = {i.x_id: network.get_post(i.record_key) for i in job.items.all()}
    for x_id, data, alt in (("951", video, "Le maire coupe le ruban"), ("952", gif, None)):
        embed = stored[x_id]["embed"]  # type: ignore[index]
        assert embed["$type"] == "app.bsky.embed.video"
        assert embed["video"]["ref"]["$link"] == blob_cid(data)  # the PDS holds that blob
        assert embed["video"]["mimeType"] == "video/mp4" and embed["video"]["size"] == len(data)
        if alt:
            assert embed["alt"] == alt and "presentation" not in embed
    assert stored["952"]["embed"]["presentation"] == "gif"  # type: ignore[index]
    assert stored["952"]["embed"]["alt"] == "Un tram qui arrive, en boucle"  # type: ignore[index]
    assert "embed" not in stored["953"]  # type: ignore[operator]


@pytest.mark.django_db
def test_a_video_over_this_pds_upload_limit_fails_its_post_alone(
    org: Organisation, pds: Any, pds_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PDS whose upload limit is lower than the one envol assumes (here envol assumes 8 MiB,
    the PDS keeps its default 5 MiB): the post with that video fails with the PDS's reason, a
    reply to it with it, the rest of the batch lands and the job ends."""
    monkeypatch.setattr(moving, "MAX_VIDEO_BYTES", 8 * 1024 * 1024)
    archive = accepted_import(org, "bluesky", [])
    me = own_id(archive)
    add_post(archive, 961, 0, "Le conseil municipal en entier")
    add_video(archive, "961", "video", "", size=6 * 1024 * 1024)
    add_post(archive, 962, 1, "La suite", reply_to_post_id="961", reply_to_user_id=me)
    add_post(archive, 963, 2, "Autre chose")
    account = connected_bluesky(org, pds, pds_account)
    job = run_to_end(moving.create_job(org, archive.pk, account, moving.Choice()))
    assert job.state == MoveState.DONE
    states = {i.x_id: (i.state, i.reason) for i in job.items.all()}
    assert states == {
        "961": (PostState.FAILED, "too_large"),
        "962": (PostState.FAILED, "parent_refused"),
        "963": (PostState.DONE, ""),
    }
    network = network_for(account)
    assert isinstance(network, BlueskyNetwork)
    assert [v["text"] for _k, v in network.list_records(POST)] == ["Autre chose"]
