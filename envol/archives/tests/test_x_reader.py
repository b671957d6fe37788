"""The reader returns what the generator wrote, in every layout X has used, zip or folder."""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envol.archives.errors import ArchiveWarning
from envol.archives.tests.helpers import make_zip, read_everything, unzip
from envol.archives.x import XArchive
from envol.archives.x_records import Counts, RelationKind
from envol.testing.x_archive_factory import ArchiveSpec, ExpectedArchive, XArchiveFactory


def assert_matches(archive: XArchive, expected: ExpectedArchive) -> None:
    found = read_everything(archive)
    assert found["account"] == expected.account
    assert found["profile"] == expected.profile
    assert found["relations"] == expected.relations
    assert found["lists"] == expected.lists
    for index, (tweet, wanted) in enumerate(zip(found["tweets"], expected.tweets, strict=True)):
        assert tweet == wanted, f"tweet {index}"
    assert found["counts"] == expected.counts
    assert found["warnings"] == expected.warning_codes


LAYOUTS = [
    pytest.param(ArchiveSpec(seed=1, layout="new"), id="new"),
    pytest.param(ArchiveSpec(seed=2, layout="old", wrapped=False), id="old-bare"),
    pytest.param(ArchiveSpec(seed=3, layout="old", wrapped=True), id="old-wrapped"),
    pytest.param(ArchiveSpec(seed=4, tweet_parts=3), id="multi-part"),
    pytest.param(ArchiveSpec(seed=5, manifest=False), id="no-manifest"),
    pytest.param(ArchiveSpec(seed=6, manifest=False, tweet_parts=2, layout="old"), id="old-scan"),
    pytest.param(ArchiveSpec(seed=7, ids_as_strings=False), id="numeric-ids"),
    pytest.param(ArchiveSpec(seed=8, media_files=False), id="media-not-downloaded"),
    pytest.param(ArchiveSpec(seed=9, root_folder="twitter-2024-11-05-abc/"), id="root-folder"),
    pytest.param(ArchiveSpec(seed=10, tweets=0, following=0, followers=0), id="empty"),
]


@pytest.mark.parametrize("spec", LAYOUTS)
def test_zip_reads_back_what_was_written(spec: ArchiveSpec) -> None:
    factory = XArchiveFactory(spec)
    with XArchive.open(factory.zip_bytes()) as archive:
        assert_matches(archive, factory.expected())


@pytest.mark.parametrize("spec", LAYOUTS)
def test_folder_reads_back_what_was_written(spec: ArchiveSpec, tmp_path: Path) -> None:
    factory = XArchiveFactory(spec)
    root = factory.write_folder(tmp_path)
    with XArchive.open(root) as archive:
        assert_matches(archive, factory.expected())


def test_zip_file_on_disk_and_data_folder_itself(tmp_path: Path) -> None:
    factory = XArchiveFactory(ArchiveSpec(seed=11))
    factory.write_zip(tmp_path / "archive.zip")
    with XArchive.open(tmp_path / "archive.zip") as archive:
        assert_matches(archive, factory.expected())
    factory.write_folder(tmp_path / "unpacked")
    with XArchive.open(tmp_path / "unpacked" / "data") as archive:
        assert_matches(archive, factory.expected())


def test_generated_archive_has_every_hard_case() -> None:
    """Guard the generator itself: the table above only proves something if these occur."""
    tweets = XArchiveFactory(ArchiveSpec(seed=1, tweets=300)).expected().tweets
    texts = "".join(t.text for t in tweets)
    assert all(t in texts for t in ("&", "<", ">", "👩‍👩‍👧‍👦", "🇫🇷", "日本語", "שלום", "e\u0301"))
    assert "t.co/" not in texts and "&amp;amp;" not in texts
    assert any(t.is_note for t in tweets) and any(t.is_retweet for t in tweets)
    assert any(t.quoted_tweet_id for t in tweets) and any(t.hashtags for t in tweets)
    assert any(t.reply_to_user_id == tweets[0].id or t.reply_to_tweet_id for t in tweets)
    media = [m for t in tweets for m in t.media]
    assert {m.kind for m in media} == {"photo", "video", "animated_gif"}
    assert any(m.alt_text for m in media) and any(not m.alt_text for m in media)


def test_self_threads_are_replies_to_own_account() -> None:
    factory = XArchiveFactory(ArchiveSpec(seed=12, tweets=100))
    with XArchive.open(factory.zip_bytes()) as archive:
        own = [t for t in archive.tweets() if t.reply_to_user_id == archive.account.id]
    assert own and all(t.is_reply for t in own)


def test_counts_reuse_a_finished_pass_and_match_a_fresh_one() -> None:
    factory = XArchiveFactory(ArchiveSpec(seed=13, tweets=50))
    data = factory.zip_bytes()
    with XArchive.open(data) as archive:
        fresh = archive.counts()
    with XArchive.open(data) as archive:
        for _tweet in archive.tweets():
            pass
        assert archive.counts() == fresh == factory.expected().counts
        assert archive.declared_counts()["tweets"] == 50


def test_counts_json_shape() -> None:
    assert set(Counts().as_dict()) == {
        "following", "follower", "block", "mute", "tweets", "retweets", "replies", "media",
        "note_tweets",
    }  # fmt: skip


def test_unknown_types_are_warnings_in_both_languages() -> None:
    factory = XArchiveFactory(ArchiveSpec(seed=14, tweets=3))
    members = unzip(factory.zip_bytes())
    members["data/direct-messages.js"] = b"window.YTD.direct_messages.part0 = []"
    with XArchive.open(make_zip(members)) as archive:
        codes = {(w.code, w.file) for w in archive.warnings}
    assert ("unread_data_type", "data/like.js") in codes
    warning = ArchiveWarning("unread_data_type", "data/like.js", "like")
    assert "data/like.js" in str(warning) and "n'est pas importé" in warning.message("fr")


def test_open_media_streams_a_kept_file() -> None:
    factory = XArchiveFactory(ArchiveSpec(seed=15, tweets=80))
    with XArchive.open(factory.zip_bytes()) as archive:
        item = next(m for t in archive.tweets() for m in t.media if m.in_archive)
        with archive.open_media(item.file_name) as stream:
            assert stream.read().startswith(b"\xff\xd8")


def test_relations_stream_in_part_order() -> None:
    factory = XArchiveFactory(ArchiveSpec(seed=16, following=2500, followers=0))
    members = unzip(factory.zip_bytes())
    following = members.pop("data/following.js")
    elements = orjson.loads(following[following.index(b"=") + 1 :])
    members["data/following.js"] = b"window.YTD.following.part0 = " + orjson.dumps(elements[:1000])
    members["data/following-part1.js"] = b"window.YTD.following.part1 = " + orjson.dumps(
        elements[1000:]
    )
    del members["data/manifest.js"]
    with XArchive.open(make_zip(members)) as archive:
        ids = [r.account_id for r in archive.relations(RelationKind.FOLLOWING)]
    assert ids == factory.expected().relations[RelationKind.FOLLOWING]


SPECS = st.builds(
    ArchiveSpec,
    seed=st.integers(0, 10_000),
    tweets=st.integers(0, 40),
    following=st.integers(0, 30),
    followers=st.integers(0, 30),
    layout=st.sampled_from(["new", "old"]),
    tweet_parts=st.integers(1, 4),
    manifest=st.booleans(),
    wrapped=st.booleans(),
    ids_as_strings=st.booleans(),
    media_files=st.booleans(),
    root_folder=st.sampled_from(["", "archive/"]),
)
TEXTS = st.text(st.characters(blacklist_categories=["Cs"]), min_size=0, max_size=80) | st.lists(
    st.sampled_from(["&", "&amp;", "<", ">", "&lt;", "RT @x", "https://t.co/abc", "…", "🇫🇷", " "]),
    max_size=8,
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=SPECS)
def test_property_what_the_generator_writes_the_reader_returns(spec: ArchiveSpec) -> None:
    factory = XArchiveFactory(spec)
    with XArchive.open(factory.zip_bytes()) as archive:
        assert_matches(archive, factory.expected())


@settings(max_examples=80, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=6), seed=st.integers(0, 100))
def test_property_any_text_survives_escaping_and_decoding(texts: list[str], seed: int) -> None:
    spec = ArchiveSpec(seed=seed, tweets=len(texts) + 2, texts=tuple(texts))
    factory = XArchiveFactory(spec)
    with XArchive.open(factory.zip_bytes()) as archive:
        read = list(itertools.islice(archive.tweets(), len(texts)))
    assert [t.text for t in read] == texts
