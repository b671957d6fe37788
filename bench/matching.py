"""Benchmark of the crosswalk: import rows/s of a generated dataset and matching time.

    python bench/matching.py [--rows 5000000] [--following 100000] [--db sqlite,postgres]
                             [--rounds 3] [--cache DIR]

For each database and round (each in its own process on a fresh database: Django reads its
settings once) it prints the crosswalk import speed (`import_dataset`, the real code path)
against a baseline measured just before in the same process — the same file read with the csv
module and written with a bare `executemany` into an unindexed table of the same columns, no
validation — then, in the last round, the matching time of a 100k-following import
(`compute_matches`, one INSERT … SELECT) and of a re-run. Dirty pages are flushed (`sync`)
before each timing, so one measurement does not pay for the previous one's writes. The summary
gives the median round. Bars (issue 5): ≥ 100,000 rows/s import and ≤ 2 s matching, on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
HEADER = ["x_id", "x_handle", "bluesky_handle", "bluesky_did", "mastodon_account", "evidence"]


def generate(path: Path, rows: int, seed: int = 5) -> list[str]:
    """A dataset like the public ones: every row a Bluesky DID, one in five a Mastodon account
    too. Returns a sample of the X ids for the following list."""
    rnd = random.Random(seed)
    sample: list[str] = []
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            x_id = str(rnd.randrange(10**7, 2 * 10**18))
            did = "did:plc:" + "".join(rnd.choices(BASE32, k=24))
            masto = f"user{i}@instance{i % 997}.social" if i % 5 == 0 else ""
            writer.writerow([x_id, f"u{i}"[:15], f"u{i}.bsky.social", did, masto, "dataset"])
            if i % 10 == 0:
                sample.append(x_id)
    return sample


def child(args: argparse.Namespace) -> None:
    """Runs inside the process configured for one database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from envol.bulk import insert_rows
    from envol.crosswalk.matching import compute_matches
    from envol.crosswalk.services import import_dataset
    from envol.orgs.services import create_organisation
    from envol.portability.models import ArchiveImport, Relation, SourceAccount

    if connection.vendor == "postgresql":  # a fresh database for each round
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    path = Path(args.file)
    vendor = connection.vendor

    # Baseline: the same file, csv module, bare executemany into an unindexed table.
    os.sync()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_baseline (x_id varchar(32), x_handle varchar(50), "
            "bluesky_handle varchar(300), bluesky_did varchar(300), mastodon_account "
            "varchar(300), evidence text)"
        )
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            next(reader)
            batch: list[list[str]] = []
            for row in reader:
                batch.append(row)
                if len(batch) == 20_000:
                    cursor.executemany(
                        "INSERT INTO bench_baseline VALUES (%s, %s, %s, %s, %s, %s)", batch
                    )
                    batch = []
            if batch:
                cursor.executemany(
                    "INSERT INTO bench_baseline VALUES (%s, %s, %s, %s, %s, %s)", batch
                )
        cursor.execute("DROP TABLE bench_baseline")
    baseline = time.perf_counter() - started

    os.sync()
    started = time.perf_counter()
    summary = import_dataset(path, "bench")
    elapsed = time.perf_counter() - started
    assert summary.rejected == 0, summary.errors[:3]
    rate, base_rate = args.rows / elapsed, args.rows / baseline
    print(
        f"[{vendor}] crosswalk import: {args.rows:,} rows ({summary.imported:,} links) "
        f"in {elapsed:.1f} s = {rate:,.0f} rows/s"
    )
    print(
        f"[{vendor}] baseline (csv + bare executemany, no index, no validation): "
        f"{baseline:.1f} s = {base_rate:,.0f} rows/s; envol/baseline time ratio "
        f"{elapsed / baseline:.2f}"
    )
    result = {"rate": rate, "ratio": elapsed / baseline}
    if not args.last_round:
        print("RESULT " + json.dumps(result), flush=True)
        return

    org = create_organisation("bench", "Bench")
    account = SourceAccount.objects.create(organisation=org, remote_id="1", username="bench")
    archive = ArchiveImport.objects.create(organisation=org, source_account=account, state="done")
    x_ids = Path(args.sample).read_text().split()
    rnd = random.Random(7)
    following = x_ids[: int(args.following * 0.6)]
    following += [
        str(rnd.randrange(10**7, 2 * 10**18)) for _ in range(args.following - len(following))
    ]
    with transaction.atomic():
        insert_rows(
            Relation,
            ["source_account_id", "kind", "remote_id", "first_import_id"],
            ((account.pk, "following", x, archive.pk) for x in following),
            conflict=["source_account_id", "kind", "remote_id"],
        )
    for label in ("matching", "re-matching"):
        started = time.perf_counter()
        matches = compute_matches(archive, "bluesky")
        took = time.perf_counter() - started
        print(
            f"[{vendor}] {label} of {matches.relations:,} following: {took:.2f} s "
            f"({matches.matched:,} matched, bands {matches.by_band})"
        )
        result[label] = took
    print("RESULT " + json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--following", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="keep the generated dataset here, reuse it")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--sample", help=argparse.SUPPRESS)
    parser.add_argument("--last-round", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = Path(tempfile.mkdtemp(prefix="envol-bench-matching-"))
    try:
        run_rounds(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_rounds(args: argparse.Namespace, work: Path) -> None:
    data = args.cache or work
    data.mkdir(parents=True, exist_ok=True)
    dataset, sample_file = data / f"crosswalk-{args.rows}.csv", data / f"sample-{args.rows}.txt"
    if not sample_file.exists():
        started = time.perf_counter()
        sample = generate(dataset, args.rows)
        sample_file.write_text("\n".join(sample))
        print(
            f"generated {args.rows:,} rows ({dataset.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
    for db in args.db.split(","):
        env = {**os.environ, "ENVOL_SECRET_KEY": "bench-" * 8}
        cluster = None
        if db == "postgres":
            from envol.testing.postgres import PostgresCluster, PostgresUnavailable

            try:
                cluster = PostgresCluster.start()
            except PostgresUnavailable as exc:
                print(f"[postgresql] skipped: {exc}")
                continue
            env["ENVOL_DATABASE_URL"] = cluster.url
        else:
            env.pop("ENVOL_DATABASE_URL", None)
        try:
            rounds = [
                _round(args, env, work / f"{db}-{i}", i == args.rounds - 1, dataset, sample_file)
                for i in range(args.rounds)
            ]
        finally:
            if cluster is not None:
                cluster.stop()
        rates = sorted(r["rate"] for r in rounds)
        ratios = sorted(r["ratio"] for r in rounds)
        print(
            f"[{db}] import over {args.rounds} rounds: median {rates[len(rates) // 2]:,.0f} rows/s "
            f"(min {rates[0]:,.0f}, max {rates[-1]:,.0f}); envol/baseline ratio median "
            f"{ratios[len(ratios) // 2]:.2f}; matching {rounds[-1]['matching']:.2f} s"
        )
    print("bars: import ≥ 100,000 rows/s and matching ≤ 2 s on SQLite")


def _round(
    args: argparse.Namespace,
    env: dict[str, str],
    data_dir: Path,
    last: bool,
    dataset: Path,
    sample_file: Path,
) -> dict[str, float]:
    data_dir.mkdir()
    command = [sys.executable, __file__, "--child", "--rows", str(args.rows)]
    command += ["--following", str(args.following), "--file", str(dataset)]
    command += ["--sample", str(sample_file)] + (["--last-round"] if last else [])
    done = subprocess.run(
        command,
        env={**env, "ENVOL_DATA_DIR": str(data_dir)},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, float] = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line.removeprefix("RESULT "))
        else:
            print(line, flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
