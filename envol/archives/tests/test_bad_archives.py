"""Every way an archive can be wrong ends as an ArchiveError naming the file and what to do."""

from __future__ import annotations

import io
import os
import pickle
import stat
import zipfile
from pathlib import Path

import pytest

from envol.archives.errors import UNSAFE_NAME_REASONS_FR, ArchiveError
from envol.archives.source import ArchiveLimits
from envol.archives.tests.helpers import make_zip, read_everything, unzip
from envol.archives.x import XArchive
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory


@pytest.fixture(scope="module")
def members() -> dict[str, bytes]:
    return unzip(XArchiveFactory(ArchiveSpec(seed=21, tweets=60)).zip_bytes())


def fail(archive: bytes | Path, limits: ArchiveLimits | None = None) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught, XArchive.open(archive, limits) as opened:
        read_everything(opened)
    error = caught.value
    assert error.hint and error.problem
    assert str(error) == error.message("en") and error.message("fr") != str(error)
    return error


@pytest.mark.parametrize(
    ("evil_name", "reason"),
    [
        ("../evil.js", "'..'"),
        ("data/../../evil.js", "'..'"),
        ("/etc/cron.d/evil", "absolute path"),
        ("C:/Windows/evil.dll", "absolute path"),
        ("data\\..\\..\\evil.js", "backslash"),
    ],
)
def test_entries_that_escape_the_folder_are_refused(
    members: dict[str, bytes], evil_name: str, reason: str
) -> None:
    error = fail(make_zip({**members, evil_name: b"x"}))
    assert error.code == "unsafe_path"
    assert evil_name.replace("\\", "\\\\") in str(error) and reason in str(error)
    french = error.message("fr")
    assert "nom dangereux" in french
    assert any(words in french for words in UNSAFE_NAME_REASONS_FR.values())
    assert not any(words in french for words in UNSAFE_NAME_REASONS_FR)  # no English inside


def test_symbolic_link_entries_are_refused(members: dict[str, bytes]) -> None:
    link = zipfile.ZipInfo("data/tweets_media/link.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        archive.writestr(link, "/etc/passwd")
    error = fail(buffer.getvalue())
    assert error.code == "symlink" and "data/tweets_media/link.jpg" in str(error)


def test_symbolic_links_in_a_folder_are_refused(tmp_path: Path) -> None:
    root = XArchiveFactory(ArchiveSpec(seed=22, tweets=3)).write_folder(tmp_path / "archive")
    os.symlink("/etc/passwd", root / "data" / "following.js.bak")
    error = fail(root)
    assert error.code == "symlink" and "data/following.js.bak" in str(error)


def test_zip_bomb_ratio_is_refused(members: dict[str, bytes]) -> None:
    data = make_zip({**members, "data/like.js": b"0" * 2_000_000}, zipfile.ZIP_DEFLATED)
    error = fail(data, ArchiveLimits(ratio_floor_bytes=100_000, max_ratio=100))
    assert error.code == "zip_bomb" and "data/like.js" in str(error)


def test_total_uncompressed_size_is_capped(members: dict[str, bytes]) -> None:
    error = fail(make_zip(members), ArchiveLimits(max_total_bytes=10_000))
    assert error.code == "too_large" and "10000" in str(error)


def test_member_size_is_capped(members: dict[str, bytes]) -> None:
    error = fail(make_zip(members), ArchiveLimits(max_member_bytes=20_000))
    assert error.code == "member_too_large" and "data/tweets.js" in str(error)


def test_number_of_entries_is_capped(members: dict[str, bytes]) -> None:
    error = fail(make_zip(members), ArchiveLimits(max_members=3))
    assert error.code == "too_many_files"


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "twitter-archive.zip"
    path.write_text("window.YTD.tweets.part0 = []")
    error = fail(path)
    assert error.code == "not_a_zip" and "twitter-archive.zip" in str(error)


def test_a_missing_path(tmp_path: Path) -> None:
    error = fail(tmp_path / "nowhere.zip")
    assert error.code == "not_found" and "nowhere.zip" in str(error)


def test_a_zip_that_is_not_an_x_archive() -> None:
    error = fail(make_zip({"photos/cat.jpg": b"\xff\xd8", "README.txt": b"hello"}))
    assert error.code == "not_an_x_archive"


def test_missing_account_js(members: dict[str, bytes]) -> None:
    without = {name: data for name, data in members.items() if name != "data/account.js"}
    error = fail(make_zip(without))
    assert error.code == "missing_file" and "data/account.js" in str(error)
    no_manifest = {k: v for k, v in without.items() if k != "data/manifest.js"}
    error = fail(make_zip(no_manifest))
    assert error.code == "missing_file" and "data/account.js" in str(error)


def test_a_part_listed_in_the_manifest_but_absent(members: dict[str, bytes]) -> None:
    without = {name: data for name, data in members.items() if name != "data/follower.js"}
    error = fail(make_zip(without))
    assert error.code == "missing_file" and "data/follower.js" in str(error)


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.99])
def test_truncated_part_names_file_and_last_line(members: dict[str, bytes], keep: float) -> None:
    tweets = members["data/tweets.js"]
    cut = tweets[: int(len(tweets) * keep)]
    error = fail(make_zip({**members, "data/tweets.js": cut}))
    assert error.code == "malformed_json"
    assert error.file == "data/tweets.js" and error.line == line_of(cut, len(cut.rstrip()) - 1)
    assert "data/tweets.js, line" in str(error) and "Download an archive" in str(error)


@pytest.mark.parametrize("tweets", [20, 2000], ids=["one-piece", "many-pieces"])
def test_malformed_json_names_the_exact_line(tweets: int) -> None:
    members = unzip(XArchiveFactory(ArchiveSpec(seed=23, tweets=tweets)).zip_bytes())
    data = members["data/tweets.js"]
    target = data.index(b'"favorite_count"', len(data) * 2 // 3)
    broken = data[:target] + b"{oops " + data[target:]
    error = fail(make_zip({**members, "data/tweets.js": broken}))
    assert error.code == "malformed_json" and error.line == line_of(broken, target)
    assert f"data/tweets.js, line {error.line}:" in str(error)
    assert f"data/tweets.js, ligne {error.line} :" in error.message("fr")


def test_a_data_file_without_the_assignment(members: dict[str, bytes]) -> None:
    error = fail(make_zip({**members, "data/follower.js": b'[{"follower": {}}]'}))
    assert error.code == "not_a_data_file" and "data/follower.js, line 1" in str(error)


def test_a_record_of_the_wrong_shape_names_its_number(members: dict[str, bytes]) -> None:
    bad = b'window.YTD.following.part0 = [{"following": {"accountId": "1"}}, {"following": 7}]'
    error = fail(make_zip({**members, "data/following.js": bad}))
    assert error.code == "unexpected_content" and error.record == 2
    assert "data/following.js, record 2" in str(error)


def test_a_tweet_with_a_bad_date(members: dict[str, bytes]) -> None:
    data = members["data/tweets.js"]
    start = data.index(b'"created_at": "') + len(b'"created_at": "')
    broken = data[:start] + b"yesterday" + data[data.index(b'"', start) :]
    error = fail(make_zip({**members, "data/tweets.js": broken}))
    assert error.code == "unexpected_content" and error.record == 1
    assert "data/tweets.js, record 1" in str(error) and "yesterday" in str(error)


def test_a_damaged_zip_names_the_member(members: dict[str, bytes]) -> None:
    data = bytearray(make_zip(members, zipfile.ZIP_DEFLATED))
    name = b"data/tweets.js"
    where = data.index(name) + len(name) + 200  # inside the member's compressed bytes
    data[where : where + 40] = bytes(40)
    error = fail(bytes(data))
    assert error.code in {"corrupt_zip", "malformed_json"} and "data/tweets.js" in str(error)


def test_errors_survive_pickling_for_task_queues() -> None:
    error = ArchiveError("malformed_json", file="data/tweets.js", line=3, detail="x")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.code, copy.file, copy.line) == ("malformed_json", "data/tweets.js", 3)
    assert str(copy) == str(error)
