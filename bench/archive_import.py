"""Archive import against a truly bare baseline, on one generated archive, in paired rounds.

    python bench/archive_import.py [--tweets 200000] [--following 100000] [--followers 100000]
                                   [--rounds 3] [--cache DIR]

(a) the bare baseline, in this process: each member streamed out of the zip in blocks, cut
    between records and parsed with `orjson`; for each record a plain tuple of the fields
    envol stores, taken as they are (no decoding, no checking, no joining of long posts);
    `executemany` with the bare sqlite3 module into tables of the same columns and unique
    indexes, in one transaction. Its split — parse / tuples / write — is printed.
(b) envol's import (`import_archive`, the real code path) in the same process as (a): each
    round runs in a child process of its own on a fresh, migrated data directory (SQLite),
    which starts Django first (not timed, as the interpreter's start is not timed for (a)),
    then times (a) and (b) back to back, the order alternating from round to round.
Rounds are paired; the ratio b/a of each round, and their median, are printed, with the CPU
ratio. Then (c): the `envol archive import --json` command once, timed from process start to
exit (information: what a user waits for, Django's start-up included), whose peak RSS is its
own (RUSAGE_CHILDREN of a small launcher process); and (d): envol's import once more, in a
subprocess that times where it goes — parse (the archive reader's blocks and orjson),
normalise (`normalise_tweet`, the row tuples), write (`insert_rows`), other (generators,
tallies).
Bars: median ratio ≤ 1.5, peak RSS ≤ 300 MB. The generated archive is written to a temporary
directory (or `--cache DIR`, reused when there); every temporary directory is removed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")

from django.conf import settings  # read once Django is set up (round_child)

from envol.testing.bench import at_most, load_average, median, report
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

RATIO_BAR = 1.5
RSS_BAR_MB = 300
BATCH = 5000
BLOCK = 64 * 1024
BOUNDARY = b"\n  },\n  {"  # X's layout between two top-level records

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
POST_SQL = "INSERT INTO post VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
MEDIA_SQL = "INSERT INTO media VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?) "
RELATION_SQL = "INSERT INTO relation VALUES (NULL, ?, ?, ?, ?) "
CONFLICT = {
    POST_SQL: "ON CONFLICT (source_account_id, remote_id) DO NOTHING",
    MEDIA_SQL: "ON CONFLICT (source_account_id, post_remote_id, position) DO NOTHING",
    RELATION_SQL: "ON CONFLICT (source_account_id, kind, remote_id) DO NOTHING",
}
RELATION_FILES = (
    ("following", "following", "following"),
    ("follower", "follower", "follower"),
    ("block", "block", "blocking"),
    ("mute", "mute", "muting"),
)


def p1_spec(
    tweets: int = 200_000, following: int = 100_000, followers: int = 100_000
) -> ArchiveSpec:
    """The P1 archive: 200k tweets in two parts, 100k following, 100k followers."""
    return ArchiveSpec(
        seed=1, tweets=tweets, following=following, followers=followers, tweet_parts=2
    )


def generate(spec: ArchiveSpec, folder: Path) -> Path:
    target = folder / f"x-{spec.tweets}-{spec.following}-{spec.followers}-{spec.seed}.zip"
    if not target.exists():
        started = time.perf_counter()
        partial = target.with_suffix(".part")
        XArchiveFactory(spec).write_zip(partial)
        partial.replace(target)
        print(f"generated {target.name} in {time.perf_counter() - started:.1f} s")
    return target


# --- (a) the bare baseline -------------------------------------------------------------------


class Split:
    """Wall time per phase; `switch` returns the phase it interrupted, to switch back. Phases
    switch per parsed piece and per written batch, never per record: what is left over is
    the time of the records' tuples (a: `tuples`) or of the plumbing around them (c: `other`)."""

    def __init__(self, phase: str) -> None:
        self.seconds: dict[str, float] = {}
        self.phase = phase
        self.since = time.perf_counter()

    def switch(self, phase: str) -> str:
        now = time.perf_counter()
        self.seconds[self.phase] = self.seconds.get(self.phase, 0.0) + now - self.since
        previous, self.phase, self.since = self.phase, phase, now
        return previous


def records(archive: zipfile.ZipFile, name: str, split: Split) -> Iterator[Any]:
    """The records of one `window.YTD.<type>.partN = [ … ]` member, streamed: blocks cut after
    their last record boundary, each piece parsed by orjson (timed as `parse`)."""
    previous = split.switch("parse")
    with archive.open(name) as stream:
        head = stream.read(BLOCK)
        pieces = [head[head.index(b"[", head.index(b"=")) :]]
        while block := stream.read(BLOCK):
            cut = block.rfind(BOUNDARY)
            if cut < 0:
                pieces.append(block)
                continue
            pieces.append(block[: cut + 4])
            pieces.append(b"]")
            parsed = orjson.loads(b"".join(pieces))
            pieces = [b"[", block[cut + 5 :]]
            split.switch(previous)
            yield from parsed
            previous = split.switch("parse")
        parsed = orjson.loads(b"".join(pieces))
    split.switch(previous)
    yield from parsed


def _write(db: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]], split: Split) -> None:
    previous = split.switch("write")
    db.executemany(sql + CONFLICT[sql], rows)
    rows.clear()
    split.switch(previous)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def post_tuple(tweet: dict[str, Any]) -> tuple[Any, ...]:
    """The fields envol stores of a tweet, as the archive writes them."""
    entities = tweet["entities"]
    return (
        1,
        tweet["id_str"],
        tweet["created_at"],
        tweet["full_text"],
        tweet["lang"],
        tweet["full_text"].startswith("RT @"),
        tweet.get("in_reply_to_status_id_str", ""),
        tweet.get("in_reply_to_user_id_str", ""),
        tweet.get("in_reply_to_screen_name", ""),
        "",
        _dumps(entities["user_mentions"]),
        _dumps(entities["hashtags"]),
        _dumps(entities["urls"]),
        False,
        1,
    )


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def baseline(zip_path: Path, database: Path) -> tuple[float, dict[str, float]]:
    """(a): seconds, and the split parse / tuples / write (and its CPU seconds)."""
    split = Split("tuples")
    cpu = cpu_seconds()
    started = time.perf_counter()
    db = sqlite3.connect(database, isolation_level=None)
    db.execute(f"PRAGMA page_size={settings.SQLITE_PAGE_SIZE}")  # as envol's databases
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(BASELINE_SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        for kind, stem, key in RELATION_FILES:
            relations: list[tuple[Any, ...]] = []
            for record in records(archive, f"data/{stem}.js", split):
                relations.append((1, kind, record[key]["accountId"], 1))
                if len(relations) == BATCH:
                    _write(db, RELATION_SQL, relations, split)
            _write(db, RELATION_SQL, relations, split)
        for _note in records(archive, "data/note-tweet.js", split):
            pass  # read, as envol reads them to join long posts
        parts = sorted(
            (n for n in names if n.startswith("data/tweets") and n.endswith(".js")),
            key=lambda n: (len(n), n),
        )
        posts: list[tuple[Any, ...]] = []
        media: list[tuple[Any, ...]] = []
        for name in parts:
            for record in records(archive, name, split):
                tweet = record["tweet"]
                posts.append(post_tuple(tweet))
                attached = tweet.get("extended_entities", {}).get("media", ())
                for position, item in enumerate(attached):
                    url = item["media_url_https"]
                    media.append(
                        (1, tweet["id_str"], position, item["type"], url.rsplit("/", 1)[-1],
                         item.get("ext_alt_text", ""), url, "")
                    )  # fmt: skip
                if len(posts) >= BATCH:
                    _write(db, POST_SQL, posts, split)
                    _write(db, MEDIA_SQL, media, split)
        _write(db, POST_SQL, posts, split)
        _write(db, MEDIA_SQL, media, split)
    split.switch("write")
    db.execute("COMMIT")
    db.close()
    split.switch("tuples")
    elapsed = time.perf_counter() - started
    return elapsed, split.seconds | {"cpu": cpu_seconds() - cpu}


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


# --- (b) envol's import beside (a), (c) the command, (d) where it goes -------------------------


def envol_data_dir(data_dir: Path) -> dict[str, str]:
    """A fresh, migrated data directory with the organisation `bench`; its environment."""
    env = {**os.environ, "ENVOL_DATA_DIR": str(data_dir)}
    env.pop("ENVOL_DATABASE_URL", None)
    envol = [sys.executable, "-m", "envol"]
    data_dir.mkdir()
    subprocess.run([*envol, "manage", "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*envol, "org", "create", "bench", "--name", "Bench"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


def paired_round(zip_path: Path, work: Path, number: int) -> dict[str, Any]:
    """(a) and (b) in one child process on a fresh data directory, (a) first in even rounds."""
    env = envol_data_dir(work / f"envol-{number}")
    first = "bare" if number % 2 == 0 else "envol"
    done = subprocess.run(
        [sys.executable, __file__, "--round-child", str(zip_path), "--first", first],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
    )
    return orjson.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def round_child(zip_path: Path, first: str) -> None:
    """Starts Django, then times (a) and (b) in this process in the given order; prints JSON."""
    import django

    django.setup()
    from envol.orgs.services import get_organisation
    from envol.portability.services import import_archive

    organisation = get_organisation("bench")
    database = Path(os.environ["ENVOL_DATA_DIR"]) / "baseline.sqlite3"
    measured: dict[str, Any] = {}

    def bare() -> None:
        seconds, split = baseline(zip_path, database)
        measured.update(bare_seconds=seconds, bare_split=split, written=baseline_counts(database))

    def envol() -> None:
        cpu, started = cpu_seconds(), time.perf_counter()
        done = import_archive(organisation, zip_path)
        measured["envol_seconds"] = time.perf_counter() - started
        measured["envol_cpu"] = cpu_seconds() - cpu
        measured["counts"] = done.counts

    for side in (bare, envol) if first == "bare" else (envol, bare):
        side()
    print(orjson.dumps(measured).decode())


def real_import(zip_path: Path, data_dir: Path) -> tuple[float, float, dict[str, Any]]:
    """(c): the `envol archive import` command; returns seconds, peak RSS in MB, its JSON."""
    env = envol_data_dir(data_dir)
    output, measures = data_dir / "import.json", data_dir / "measures.json"
    command = [sys.executable, "-m", "envol", "archive", "import", str(zip_path)]
    command += ["--org", "bench", "--json"]
    with output.open("wb") as out:
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(measures), *command],
            env=env,
            stdout=out,
            check=True,
        )
    measured = orjson.loads(measures.read_bytes())
    result = orjson.loads(output.read_bytes())
    result["cpu_seconds"] = measured["cpu"]
    return measured["seconds"], measured["maxrss_kb"] / 1024, result


# A small process starts the import and reports its time and peak RSS: a child's ru_maxrss
# starts from its parent's high-water mark at exec, and this script's own is large after (a).
LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
measured = {"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "cpu": cpu}
open(sys.argv[1], "w").write(json.dumps(measured))
sys.exit(code)
"""


def envol_split(zip_path: Path, data_dir: Path) -> dict[str, float]:
    """(d): envol's import in a subprocess that times its phases."""
    env = envol_data_dir(data_dir)
    done = subprocess.run(
        [sys.executable, __file__, "--split-child", str(zip_path)],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
    )
    return orjson.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def split_child(zip_path: Path) -> None:
    """Runs `import_archive` with its reader, normaliser and writer timed (wrapped where
    `x.py` and `importer.py` look them up); prints the split as JSON."""
    import django

    django.setup()
    from envol.archives import x
    from envol.orgs.services import get_organisation
    from envol.portability import importer, rows
    from envol.portability.services import import_archive

    split = Split("other")
    # Names the modules use inside, replaced by timed ones (not part of their public API).
    read_elements, normalise = vars(x)["iter_elements"], vars(x)["normalise_tweet"]
    insert, post_row, media_row = vars(importer)["insert_rows"], rows.post_row, rows.media_row

    def timed(phase: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            previous = split.switch(phase)
            try:
                return function(*args, **kwargs)
            finally:
                split.switch(previous)

        return run

    def timed_elements(*args: Any, **kwargs: Any) -> Iterator[Any]:
        elements = read_elements(*args, **kwargs)
        while True:
            previous = split.switch("parse")
            try:
                element = next(elements)
            except StopIteration:
                split.switch(previous)
                return
            split.switch(previous)
            yield element

    timed_media_row = timed("normalise", media_row)
    replaced = {
        (x, "iter_elements"): timed_elements,
        (x, "normalise_tweet"): timed("normalise", normalise),
        (rows, "post_row"): timed("normalise", post_row),
        (rows, "media_row"): timed_media_row,
        (importer, "media_row"): timed_media_row,  # imported by name there
        (importer, "insert_rows"): timed("write", insert),
        (importer, "CHILD_FROM_TWEETS"): 10**12,  # the phases timed in one process
    }
    for (module, name), value in replaced.items():
        setattr(module, name, value)
    started = time.perf_counter()
    split.switch("other")
    import_archive(get_organisation("bench"), zip_path)
    split.switch("other")
    split.seconds["total"] = time.perf_counter() - started
    print(orjson.dumps(split.seconds).decode())


# --- the run -------------------------------------------------------------------------------------


def _print_split(label: str, seconds: dict[str, float]) -> None:
    parts = ", ".join(f"{name} {value:.2f} s" for name, value in seconds.items() if value >= 0.005)
    print(f"{label}: {parts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tweets", type=int, default=200_000)
    parser.add_argument("--following", type=int, default=100_000)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=None, help="keep the generated archive here")
    parser.add_argument("--split-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--round-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--first", choices=("bare", "envol"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.split_child:
        split_child(args.split_child)
        return 0
    if args.round_child:
        round_child(args.round_child, args.first)
        return 0
    spec = p1_spec(args.tweets, args.following, args.followers)
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="envol-bench-archive-") as scratch:
        work = Path(scratch)
        cache = args.cache or work
        cache.mkdir(parents=True, exist_ok=True)
        zip_path = generate(spec, cache)
        rounds = [paired_round(zip_path, work, number) for number in range(args.rounds)]
        cli_seconds, rss_mb, cli = real_import(zip_path, work / "envol-command")
        split = envol_split(zip_path, work / "envol-split")
    ratios = [r["envol_seconds"] / r["bare_seconds"] for r in rounds]
    cpu_ratios = [r["envol_cpu"] / r["bare_split"]["cpu"] for r in rounds]
    for number, measured in enumerate(rounds):
        first = "(a) first" if number % 2 == 0 else "(b) first"
        print(
            f"round {number + 1} ({first}): (a) bare {measured['bare_seconds']:6.2f} s, "
            f"(b) envol {measured['envol_seconds']:6.2f} s, ratio {ratios[number]:.2f} "
            f"(CPU ratio {cpu_ratios[number]:.2f})"
        )
        _print_split("   (a) split", measured["bare_split"])
    print(
        f"(c) the command, from process start to exit: {cli_seconds:.2f} s, "
        f"peak RSS {rss_mb:.0f} MB"
    )
    _print_split("(d) envol's import, timed by phase", split)
    written, counts = rounds[-1]["written"], cli["counts"]
    same = all(
        r["written"][key] == r["counts"][key] == counts[key] for r in rounds for key in written
    )
    print(f"rows written by (a) and counted by (b) and (c) agree: {same} {written}")
    print(
        f"archive: {counts['tweets']:,} tweets, {counts['following']:,} following, "
        f"{counts['follower']:,} followers, {counts['media']:,} media"
    )
    bare_splits = [r["bare_split"] for r in rounds]
    figures = {
        "rounds": args.rounds,
        "bare_seconds": [r["bare_seconds"] for r in rounds],
        "envol_seconds": [r["envol_seconds"] for r in rounds],
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
        "bare_split": {k: median([s.get(k, 0.0) for s in bare_splits]) for k in bare_splits[0]},
        "envol_split": split,
        # information: the command as a user runs it, interpreter and Django start-up included
        "command_seconds": cli_seconds,
        "peak_rss_mb": rss_mb,
        "rows_agree": same,
        "load_before": load_before,
        "load_after": load_average(),
    }
    bars = {
        "ratio_envol_to_bare": at_most(RATIO_BAR, median(ratios)),
        "peak_rss_mb": at_most(RSS_BAR_MB, rss_mb),
    }
    if not same:
        bars["rows_agree"] = at_most(0, 1)
    return report("archive_import", figures, bars)


if __name__ == "__main__":
    sys.exit(main())
