"""The import service on generated archives: what it stores, idempotence, updates, failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envol.archives.errors import ArchiveError
from envol.archives.source import ArchiveLimits
from envol.archives.x_records import RelationKind
from envol.jobs.machine import IllegalTransition
from envol.orgs.models import AuditEvent, Organisation
from envol.orgs.services import create_organisation
from envol.portability import importer, services, storage
from envol.portability.models import (
    ArchivedMedia,
    ArchivedPost,
    ArchiveImport,
    Relation,
    SourceAccount,
)
from envol.portability.tests.conftest import replace_member, write_archive
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

pytestmark = pytest.mark.django_db
SPEC = ArchiveSpec(seed=5, tweets=40, following=12, followers=9, tweet_parts=2)
FORMS = [("new", "zip"), ("new", "folder"), ("old", "zip"), ("old", "folder")]


@pytest.fixture(params=["read-here", "reader-process"])
def tweets_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Tweets normalised in this process, or in a reader process (large archives: forced)."""
    if request.param == "reader-process":
        monkeypatch.setattr(importer, "CHILD_FROM_TWEETS", 0)
    return str(request.param)


def stored(account: SourceAccount) -> dict[str, Any]:
    return {
        "relations": {
            kind: sorted(
                Relation.objects.filter(source_account=account, kind=kind).values_list(
                    "remote_id", flat=True
                )
            )
            for kind in RelationKind
        },
        "posts": ArchivedPost.objects.filter(source_account=account).count(),
        "media": ArchivedMedia.objects.filter(source_account=account).count(),
    }


@pytest.mark.parametrize(("layout", "form"), FORMS)
def test_inspect_reads_only(tmp_path: Path, layout: str, form: str) -> None:
    spec = ArchiveSpec(seed=5, tweets=40, layout=layout)  # type: ignore[arg-type]
    expected = XArchiveFactory(spec).expected()
    report = services.inspect(write_archive(tmp_path, spec, form))
    assert report["account"] == {
        "id": expected.account.id,
        "username": expected.account.username,
        "display_name": expected.account.display_name,
    }
    assert report["counts"] == expected.counts.as_dict()
    assert [w.split(":")[0] for w in report["warnings"]] == ["data/like.js"]
    assert not ArchiveImport.objects.exists() and not SourceAccount.objects.exists()


@pytest.mark.parametrize(("layout", "form"), FORMS)
def test_import_stores_everything_the_archive_holds(
    org: Organisation, tmp_path: Path, layout: str, form: str, tweets_read: str
) -> None:
    # enough tweets for each reader process to get pieces of each part (64 KiB each)
    tweets = 600 if tweets_read == "reader-process" else 40
    spec = ArchiveSpec(seed=5, tweets=tweets, following=12, layout=layout, tweet_parts=2)  # type: ignore[arg-type]
    expected = XArchiveFactory(spec).expected()
    path = write_archive(tmp_path, spec, form)
    done = services.import_archive(org, path)
    assert done.state == ArchiveImport.State.DONE and path.exists()  # the user's file stays
    assert done.counts == expected.counts.as_dict()
    account = done.source_account
    assert account is not None and account.remote_id == expected.account.id
    assert account.bio == expected.profile.bio and account.organisation == org
    found = stored(account)
    assert found["relations"] == {k: sorted(v) for k, v in expected.relations.items()}
    assert found["posts"] == len(expected.tweets) == done.added["tweets"]
    assert found["media"] == expected.counts.media == done.added["media"]
    first = expected.tweets[0]
    post = ArchivedPost.objects.get(source_account=account, remote_id=first.id)
    assert (post.text, post.created_at, post.is_note) == (
        first.text,
        first.created_at,
        first.is_note,
    )
    assert post.mentions == [{"id": m.user_id, "username": m.username} for m in first.mentions]
    assert post.hashtags == list(first.hashtags) and post.urls == list(first.urls)
    assert done.first_post_at == min(t.created_at for t in expected.tweets)
    assert done.last_post_at == max(t.created_at for t in expected.tweets)
    assert [w["code"] for w in done.warnings] == expected.warning_codes
    assert AuditEvent.objects.filter(action="portability.import_done").count() == 1


def test_reimporting_the_same_archive_changes_nothing(org: Organisation, tmp_path: Path) -> None:
    path = write_archive(tmp_path, SPEC)
    first = services.import_archive(org, path)
    assert first.source_account is not None
    before = stored(first.source_account)
    second = services.import_archive(org, path)
    assert second.state == ArchiveImport.State.DONE
    assert second.source_account == first.source_account
    assert set(second.added.values()) == {0} and set(second.added) >= {"tweets", "following"}
    assert second.counts == first.counts
    assert stored(first.source_account) == before
    assert SourceAccount.objects.count() == 1
    # rows keep the import that brought them first
    assert not Relation.objects.filter(first_import=second).exists()


def test_a_newer_archive_adds_only_what_is_new(org: Organisation, tmp_path: Path) -> None:
    older = services.import_archive(org, write_archive(tmp_path, SPEC))
    newer_spec = ArchiveSpec(seed=5, tweets=55, following=20, followers=9, tweet_parts=2)
    newer = services.import_archive(org, write_archive(tmp_path, newer_spec))
    assert newer.source_account == older.source_account
    assert newer.added["tweets"] == 15 and newer.added["following"] == 8
    assert newer.added["follower"] == 0
    assert Relation.objects.filter(first_import=newer).count() == 8
    assert ArchivedPost.objects.filter(first_import=newer).count() == 15


def test_the_same_x_account_in_two_organisations_stays_apart(
    org: Organisation, tmp_path: Path
) -> None:
    other = create_organisation("ville-b", "Ville B")
    path = write_archive(tmp_path, SPEC)
    mine, theirs = services.import_archive(org, path), services.import_archive(other, path)
    assert mine.source_account != theirs.source_account
    assert theirs.added["tweets"] == SPEC.tweets


def test_progress_is_reported_against_the_manifest_counts(
    org: Organisation, tmp_path: Path
) -> None:
    calls: list[tuple[str, int, int]] = []
    services.import_archive(
        org, write_archive(tmp_path, SPEC), progress=lambda *call: calls.append(call)
    )
    total = SPEC.tweets + SPEC.following + SPEC.followers + SPEC.blocks + SPEC.mutes
    assert calls[-1] == ("tweets", total, total)
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)
    assert {c[0] for c in calls} == {"following", "follower", "block", "mute", "tweets"}


def _members(path: Path) -> list[str]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _truncated_tweets(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        data = archive.read("data/tweets.js")
    return replace_member(path, "data/tweets.js", data[: len(data) * 2 // 3])


def _minified_tweets(path: Path) -> Path:
    import zipfile

    import orjson

    with zipfile.ZipFile(path) as archive:
        data = archive.read("data/tweets.js")
    header, _equals, value = data.partition(b"=")
    return replace_member(path, "data/tweets.js", header + b"=" + orjson.dumps(orjson.loads(value)))


def _escaping(path: Path) -> Path:
    return replace_member(path, "../../etc/evil.js", b"window.YTD.evil.part0 = []")


def _not_a_zip(path: Path) -> Path:
    target = path.with_name("notes.zip")
    target.write_text("this is not a zip", encoding="utf-8")
    return target


def _without_account(path: Path) -> Path:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            if info.filename != "data/account.js":
                target.writestr(info.filename, source.read(info))
    broken = path.with_name("no-account.zip")
    broken.write_bytes(buffer.getvalue())
    return broken


BAD_INPUTS = [
    (_truncated_tweets, "data/tweets.js"),
    (_escaping, "../../etc/evil.js"),
    (_not_a_zip, "notes.zip"),
    (_without_account, "data/account.js"),
]


@pytest.mark.parametrize(("damage", "file_named"), BAD_INPUTS)
def test_a_bad_archive_fails_cleanly_and_leaves_nothing(
    org: Organisation, tmp_path: Path, damage: Any, file_named: str
) -> None:
    path = damage(write_archive(tmp_path, SPEC))
    with pytest.raises(ArchiveError) as caught:
        services.import_archive(org, path, keep_media=True)
    failed = ArchiveImport.objects.get()
    assert failed.state == ArchiveImport.State.FAILED and failed.finished_at is not None
    assert file_named in failed.error and file_named in failed.error_fr
    assert failed.error == caught.value.message("en") and failed.error_fr != failed.error
    assert failed.source_account is None
    # the relations written before tweets.js broke were rolled back with everything else
    assert not Relation.objects.exists() and not ArchivedPost.objects.exists()
    assert not SourceAccount.objects.exists()
    media = Path(storage.settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_reader_process_s_archive_error_fails_the_import_and_leaves_nothing(
    org: Organisation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "CHILD_FROM_TWEETS", 0)
    path = _truncated_tweets(write_archive(tmp_path, SPEC))
    with pytest.raises(ArchiveError) as caught:
        services.import_archive(org, path)
    failed = ArchiveImport.objects.get()
    assert failed.state == ArchiveImport.State.FAILED
    assert "tweets" in caught.value.file and failed.error == caught.value.message("en")
    assert not Relation.objects.exists() and not ArchivedPost.objects.exists()


def test_tweets_the_readers_cannot_share_are_read_here_from_the_start(
    org: Organisation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A minified tweets file (not X's layout) is cut by no reader before its piece outgrows
    the record limit: it is read here instead, with the scanner."""
    spec = ArchiveSpec(seed=5, tweets=600, following=12, followers=9, tweet_parts=1)
    expected = XArchiveFactory(spec).expected()
    path = write_archive(tmp_path, spec)
    minified = _minified_tweets(path)
    monkeypatch.setattr(importer, "CHILD_FROM_TWEETS", 0)
    limits = ArchiveLimits(max_record_bytes=32 * 1024)  # a tweet is well under: < 100 KiB cut
    monkeypatch.setattr(services, "archive_limits", lambda: limits)
    done = services.import_archive(org, minified)
    assert done.state == ArchiveImport.State.DONE and done.counts == expected.counts.as_dict()
    assert done.added["tweets"] == len(expected.tweets) == ArchivedPost.objects.count()
    assert [w["code"] for w in done.warnings] == expected.warning_codes


def test_media_are_copied_only_when_asked(org: Organisation, tmp_path: Path) -> None:
    path = write_archive(tmp_path, SPEC)
    services.import_archive(org, path)
    assert not ArchivedMedia.objects.exclude(stored_path="").exists()
    kept = services.import_archive(org, path, keep_media=True)
    assert kept.added["media"] == 0  # same references, now with their files
    in_archive = [n for n in _members(path) if "/tweets_media/" in n]
    with_files = ArchivedMedia.objects.exclude(stored_path="")
    assert with_files.count() == len(in_archive) > 0
    media_root = Path(storage.settings.MEDIA_ROOT)
    for item in with_files:
        assert (media_root / item.stored_path).read_bytes().startswith(b"\xff\xd8")


def test_kept_archive_is_a_copy_outside_the_users_folder(org: Organisation, tmp_path: Path) -> None:
    path = write_archive(tmp_path, SPEC)
    done = services.import_archive(org, path, keep_archive=True)
    assert path.exists()
    assert storage.data_path(done.stored_path).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("keep", [False, True])
def test_an_upload_is_deleted_after_import_unless_kept(
    org: Organisation, tmp_path: Path, keep: bool
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = write_archive(tmp_path, SPEC).read_bytes()
    upload = SimpleUploadedFile("archive.zip", content, content_type="application/zip")
    pending = services.receive_upload(org, upload, keep_archive=keep)
    uploaded = storage.data_path(pending.stored_path)
    assert pending.state == ArchiveImport.State.PENDING and uploaded.exists()
    services.run_import(pending)
    pending.refresh_from_db()
    assert pending.state == ArchiveImport.State.DONE and not uploaded.exists()
    assert bool(pending.stored_path) == keep
    if keep:
        assert storage.data_path(pending.stored_path).read_bytes() == content
    assert not storage.progress_path(pending.pk).exists()
    services.run_import(pending)  # delivered twice: nothing happens
    assert ArchiveImport.objects.get(pk=pending.pk).stored_path == pending.stored_path


def test_a_failing_upload_is_recorded_and_deleted(org: Organisation, tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    broken = _truncated_tweets(write_archive(tmp_path, SPEC))
    upload = SimpleUploadedFile("archive.zip", broken.read_bytes())
    pending = services.receive_upload(org, upload, keep_archive=True)
    services.run_import(pending)  # records the failure, does not raise
    pending.refresh_from_db()
    assert pending.state == ArchiveImport.State.FAILED and "data/tweets.js" in pending.error
    assert pending.stored_path == "" and not any(storage.data_path(storage.UPLOADS).iterdir())


def test_an_upload_that_is_no_x_archive_is_refused_at_once(org: Organisation) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ArchiveError):
        services.receive_upload(org, SimpleUploadedFile("photo.zip", b"not a zip"))
    assert not ArchiveImport.objects.exists()
    assert not any(storage.data_path(storage.UPLOADS).iterdir())


def test_state_moves_only_forward(org: Organisation) -> None:
    archive_import = ArchiveImport.objects.create(organisation=org)
    archive_import.move_to(ArchiveImport.State.RUNNING)
    archive_import.move_to(ArchiveImport.State.DONE)
    with pytest.raises(IllegalTransition):
        archive_import.move_to(ArchiveImport.State.RUNNING)
