"""Archive import against its practical limit, on one generated archive, in one run.

    python bench/archive_import.py [--tweets 200000] [--following 100000] [--followers 100000]
                                   [--cache DIR]

(a) the practical limit: read the same zip members, `orjson.loads` each JSON part whole, build
    the same row tuples with the same normalisation (`normalise_tweet`, `importer.post_row`),
    and `executemany` them with the bare sqlite3 module into equivalent tables (same columns,
    same unique indexes), in one transaction;
(b) `envol archive import --json` of the same archive through the real code path, in a
    subprocess on a fresh, migrated data directory (SQLite), timed from process start to exit;
    its peak RSS is its own (RUSAGE_CHILDREN of a small launcher process).
Prints both times, the ratio b/a and the peak RSS of (b). Bars: ratio ≤ 1.5, peak RSS ≤ 300 MB.
The generated archive is written to a temporary directory (or `--cache DIR`, reused when there).
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")

from envol.archives.x_records import RelationKind
from envol.archives.x_tweets import NoteIndex, TweetContext, normalise_tweet, parse_note
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

RATIO_BAR = 1.5
RSS_BAR_MB = 300
BATCH = 5000

BASELINE_SCHEMA = """
CREATE TABLE relation (id INTEGER PRIMARY KEY AUTOINCREMENT, source_account_id INTEGER NOT NULL,
    kind TEXT NOT NULL, remote_id TEXT NOT NULL, first_import_id INTEGER);
CREATE UNIQUE INDEX one_relation ON relation (source_account_id, kind, remote_id);
CREATE TABLE post (id INTEGER PRIMARY KEY AUTOINCREMENT, source_account_id INTEGER NOT NULL,
    remote_id TEXT NOT NULL, created_at TEXT NOT NULL, text TEXT NOT NULL, lang TEXT NOT NULL,
    is_retweet INTEGER NOT NULL, reply_to_post_id TEXT NOT NULL, reply_to_user_id TEXT NOT NULL,
    reply_to_username TEXT NOT NULL, quoted_post_url TEXT NOT NULL, mentions TEXT NOT NULL,
    hashtags TEXT NOT NULL, urls TEXT NOT NULL, is_note INTEGER NOT NULL, first_import_id INTEGER);
CREATE UNIQUE INDEX one_post ON post (source_account_id, remote_id);
CREATE TABLE media (id INTEGER PRIMARY KEY AUTOINCREMENT, source_account_id INTEGER NOT NULL,
    post_remote_id TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL,
    file_name TEXT NOT NULL, alt_text TEXT NOT NULL, url TEXT NOT NULL, stored_path TEXT NOT NULL);
CREATE UNIQUE INDEX one_media ON media (source_account_id, post_remote_id, position);
"""


def generate(spec: ArchiveSpec, folder: Path) -> Path:
    target = folder / f"x-{spec.tweets}-{spec.following}-{spec.followers}-{spec.seed}.zip"
    if not target.exists():
        started = time.perf_counter()
        partial = target.with_suffix(".part")
        XArchiveFactory(spec).write_zip(partial)
        partial.replace(target)
        print(f"generated {target.name} in {time.perf_counter() - started:.1f} s")
    return target


def _elements(archive: zipfile.ZipFile, name: str) -> list[Any]:
    data = archive.read(name)
    return orjson.loads(data[data.index(b"=") + 1 :])  # type: ignore[no-any-return]


def _sqlite_datetime(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(" ")


def baseline_counts(database: Path) -> dict[str, int]:
    db = sqlite3.connect(database)
    counts = {
        "following": "SELECT COUNT(*) FROM relation WHERE kind = 'following'",
        "follower": "SELECT COUNT(*) FROM relation WHERE kind = 'follower'",
        "tweets": "SELECT COUNT(*) FROM post",
        "media": "SELECT COUNT(*) FROM media",
    }
    found = {key: db.execute(sql).fetchone()[0] for key, sql in counts.items()}
    db.close()
    return found


def baseline(zip_path: Path, database: Path) -> float:
    """(a): whole-member parses, the same normalisation and rows, bare sqlite3 executemany."""
    from envol.portability.importer import MEDIA_COLUMNS, POST_COLUMNS, media_row, post_row

    gc.disable()
    started = time.perf_counter()
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA page_size=16384")  # as envol's databases (settings.py)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(BASELINE_SCHEMA)
    post_sql = _insert("post", POST_COLUMNS, "source_account_id, remote_id")
    media_sql = _insert("media", MEDIA_COLUMNS, "source_account_id, post_remote_id, position")
    relation_sql = _insert(
        "relation",
        ("source_account_id", "kind", "remote_id", "first_import_id"),
        "source_account_id, kind, remote_id",
    )
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        db.execute("BEGIN IMMEDIATE")
        for kind, stem, key in (
            (RelationKind.FOLLOWING, "following", "following"),
            (RelationKind.FOLLOWER, "follower", "follower"),
            (RelationKind.BLOCK, "block", "blocking"),
            (RelationKind.MUTE, "mute", "muting"),
        ):
            elements = _elements(archive, f"data/{stem}.js")
            rows = [(1, kind.value, e[key]["accountId"], 1) for e in elements]
            for start in range(0, len(rows), BATCH):
                db.executemany(relation_sql, rows[start : start + BATCH])
        notes = NoteIndex()
        for element in _elements(archive, "data/note-tweet.js"):
            notes.add(parse_note(element))
        prefix = "data/tweets_media/"
        media_files = frozenset(n[len(prefix) :] for n in names if n.startswith(prefix))
        context = TweetContext(media_files=media_files, notes=notes)
        parts = sorted(
            (n for n in names if n.startswith("data/tweets") and n.endswith(".js")),
            key=lambda n: (len(n), n),
        )
        for name in parts:
            posts: list[tuple[Any, ...]] = []
            media: list[tuple[Any, ...]] = []
            for element in _elements(archive, name):
                tweet = normalise_tweet(element, context)
                posts.append(post_row(tweet, 1, 1, _sqlite_datetime))
                media.extend(media_row(tweet, item, 1, "") for item in tweet.media)
                if len(posts) >= BATCH:
                    db.executemany(post_sql, posts)
                    db.executemany(media_sql, media)
                    posts.clear()
                    media.clear()
            db.executemany(post_sql, posts)
            db.executemany(media_sql, media)
        db.execute("COMMIT")
    db.close()
    elapsed = time.perf_counter() - started
    gc.enable()
    return elapsed


def _insert(table: str, columns: tuple[str, ...], conflict: str) -> str:
    marks = ", ".join("?" for _ in columns)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO NOTHING"
    )


def real_import(zip_path: Path, data_dir: Path) -> tuple[float, float, dict[str, Any]]:
    """(b): the `envol archive import` command; returns seconds, peak RSS in MB, its JSON."""
    env = {**os.environ, "ENVOL_DATA_DIR": str(data_dir)}
    env.pop("ENVOL_DATABASE_URL", None)
    envol = [sys.executable, "-m", "envol"]
    subprocess.run([*envol, "manage", "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*envol, "org", "create", "bench", "--name", "Bench"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    output, measures = data_dir / "import.json", data_dir / "measures.json"
    command = [*envol, "archive", "import", str(zip_path), "--org", "bench", "--json"]
    with output.open("wb") as out:
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(measures), *command],
            env=env,
            stdout=out,
            check=True,
        )
    measured = orjson.loads(measures.read_bytes())
    return measured["seconds"], measured["maxrss_kb"] / 1024, orjson.loads(output.read_bytes())


# A small process starts the import and reports its time and peak RSS: a child's ru_maxrss
# starts from its parent's high-water mark at exec, and this script's own is large after (a).
LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(json.dumps({"seconds": seconds, "maxrss_kb": peak}))
sys.exit(code)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tweets", type=int, default=200_000)
    parser.add_argument("--following", type=int, default=100_000)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=None, help="keep the generated archive here")
    args = parser.parse_args()
    spec = ArchiveSpec(
        seed=1,
        tweets=args.tweets,
        following=args.following,
        followers=args.followers,
        tweet_parts=2,
    )
    with tempfile.TemporaryDirectory(prefix="envol-bench-") as scratch:
        work = Path(scratch)
        cache = args.cache or work
        cache.mkdir(parents=True, exist_ok=True)
        zip_path = generate(spec, cache)
        import django

        django.setup()
        a = baseline(zip_path, work / "baseline.sqlite3")
        written = baseline_counts(work / "baseline.sqlite3")
        (work / "envol").mkdir()
        b, rss_mb, report = real_import(zip_path, work / "envol")
    counts = report["counts"]
    same = all(written[key] == counts[key] for key in written)
    print(f"rows written by (a) and counted by (b) agree: {same} {written}")
    print(
        f"archive: {counts['tweets']:,} tweets, {counts['following']:,} following, "
        f"{counts['follower']:,} followers, {counts['media']:,} media"
    )
    print(f"(a) practical limit (orjson + executemany): {a:6.2f} s")
    print(f"(b) envol archive import (subprocess):       {b:6.2f} s")
    ratio = b / a
    print(f"ratio b/a: {ratio:.2f} (bar ≤ {RATIO_BAR}) {'OK' if ratio <= RATIO_BAR else 'OVER'}")
    verdict = "OK" if rss_mb <= RSS_BAR_MB else "OVER"
    print(f"peak RSS of (b): {rss_mb:.0f} MB (bar ≤ {RSS_BAR_MB} MB) {verdict}")


if __name__ == "__main__":
    main()
