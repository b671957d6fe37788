"""The archive site build of a 100,000-post archive, against a bare baseline, in one run.

    python bench/history_site.py [--tweets 100000] [--cache DIR]

The archive comes from the project's factory (`XArchiveFactory`), imported with its media by
`envol archive import --keep-media` into a fresh data directory (SQLite). Then:
(a) baseline: the same number of minimal HTML files, one per post, each holding the post's
    escaped text, read from the same database with the bare sqlite3 module (no site around them:
    no month pages, threads, search index, media or redirect maps);
(b) `services.build_site` — what `envol history site` runs — in a child process, timed from
    the call to its return, with the time at every 10,000 posts; its peak RSS is its own
    (RUSAGE_CHILDREN of a small launcher process).
Prints the time per 10,000 posts, both totals, the ratio b/a and the peak RSS of (b), then one
JSON line. Bars: build of 100,000 posts ≤ 60 s, peak RSS ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import html
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

BUILD_BAR_S = 60.0
RSS_BAR_MB = 300.0
STEP = 10_000
ENVOL = [sys.executable, "-m", "envol"]

# A small process starts the build and reports its peak RSS: a child's ru_maxrss starts from
# its parent's high-water mark at exec.
LAUNCHER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(json.dumps({"maxrss_kb": peak}))
sys.exit(code)
"""


def generate(tweets: int, folder: Path) -> Path:
    from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

    target = folder / f"history-bench-{tweets}.zip"
    if not target.exists():
        partial = target.with_suffix(".partial")
        XArchiveFactory(ArchiveSpec(seed=18, tweets=tweets, following=10, followers=10)).write_zip(
            partial
        )
        partial.rename(target)
    return target


def import_archive(zip_path: Path, env: dict[str, str]) -> int:
    subprocess.run([*ENVOL, "manage", "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*ENVOL, "org", "create", "bench", "--name", "Ville de Banc d'Essai"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    done = subprocess.run(
        [*ENVOL, "archive", "import", str(zip_path), "--org", "bench", "--json", "--keep-media"],
        env=env,
        check=True,
        capture_output=True,
    )
    return int(orjson.loads(done.stdout)["import_id"])


def baseline(database: Path, output: Path) -> tuple[float, int]:
    """(a): one minimal page per post with its escaped text, from a bare sqlite3 read."""
    output.mkdir()
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    count = 0
    for remote_id, text in connection.execute(
        "SELECT remote_id, text FROM portability_archivedpost ORDER BY created_at, remote_id"
    ):
        with open(output / f"{remote_id}.html", "w", encoding="utf-8") as out:
            out.write(
                f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{remote_id}</title>'
                f"<p>{html.escape(text)}</p></html>\n"
            )
        count += 1
    connection.close()
    return time.perf_counter() - started, count


def child_build(import_id: int, output: Path, report: Path) -> None:
    """(b), run in the measured child: the service behind `envol history site`."""
    from envol.cli.common import setup_django

    setup_django()
    from envol.history import services
    from envol.portability.models import ArchiveImport

    marks: list[float] = []
    archive_import = ArchiveImport.objects.get(pk=import_id)
    started = time.perf_counter()

    def progress(done: int, _total: int) -> None:
        if done and done % STEP == 0 and len(marks) < done // STEP:
            marks.append(time.perf_counter() - started)

    result = services.build_site(archive_import, output, lang="fr", progress=progress)
    seconds = time.perf_counter() - started
    figures = result.report.__dict__ | {"seconds": seconds, "marks": marks}
    report.write_bytes(orjson.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=None, help="keep the generated archive here")
    parser.add_argument("--child", nargs=3, metavar=("IMPORT", "OUTPUT", "REPORT"))
    args = parser.parse_args()
    if args.child:
        child_build(int(args.child[0]), Path(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory(prefix="envol-bench-history-") as scratch:
        work = Path(scratch)
        cache = args.cache or work
        cache.mkdir(parents=True, exist_ok=True)
        zip_path = generate(args.tweets, cache)
        data_dir = work / "data"
        env = {**os.environ, "ENVOL_DATA_DIR": str(data_dir)}
        env.pop("ENVOL_DATABASE_URL", None)
        import_id = import_archive(zip_path, env)
        a_seconds, a_pages = baseline(data_dir / "envol.sqlite3", work / "baseline")
        measures, report = work / "measures.json", work / "report.json"
        command = [
            sys.executable,
            __file__,
            "--child",
            str(import_id),
            str(work / "site"),
            str(report),
        ]
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(measures), *command], env=env, check=True
        )
        built: dict[str, Any] = orjson.loads(report.read_bytes())
        rss_mb = orjson.loads(measures.read_bytes())["maxrss_kb"] / 1024
    b_seconds = built["seconds"]
    marks = built.pop("marks")
    steps = [later - earlier for earlier, later in zip([0.0, *marks], marks, strict=False)]
    for index, step in enumerate(steps, 1):
        print(f"posts {(index - 1) * STEP:>7,}–{index * STEP:>7,}: {step:5.2f} s")
    print(
        f"site: {built['posts']:,} posts, {built['pages']:,} pages, {built['threads']:,} "
        f"threads, {built['media_copied']:,} media files, {built['months']} months"
    )
    print(f"(a) bare baseline, {a_pages:,} minimal pages: {a_seconds:6.2f} s")
    print(f"(b) envol archive site build:          {b_seconds:6.2f} s")
    print(f"ratio b/a: {b_seconds / a_seconds:.2f}; peak RSS of (b): {rss_mb:.0f} MB")
    # scaled to 100,000 posts when run on another size, so the bar keeps its meaning
    per_100k = b_seconds * 100_000 / max(1, built["posts"])
    bars = {
        "build_100k_posts_s": {
            "limit": BUILD_BAR_S,
            "value": round(per_100k, 2),
            "better": "lower",
            "met": per_100k <= BUILD_BAR_S,
        },
        "peak_rss_mb": {
            "limit": RSS_BAR_MB,
            "value": round(rss_mb, 1),
            "better": "lower",
            "met": rss_mb <= RSS_BAR_MB,
        },
    }
    figures = {
        "posts": built["posts"],
        "pages": built["pages"],
        "build_s": round(b_seconds, 2),
        "baseline_s": round(a_seconds, 2),
        "ratio_to_baseline": round(b_seconds / a_seconds, 2),
        "seconds_per_10k_posts": [round(step, 2) for step in steps],
        "peak_rss_mb": round(rss_mb, 1),
    }
    print(orjson.dumps({"bench": "history_site", "figures": figures, "bars": bars}).decode())
    if not all(bar["met"] for bar in bars.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
