"""Benchmark of the crosswalk: import rows/s of a generated dataset and matching time.

    python bench/matching.py [--rows 5000000] [--following 100000] [--db sqlite,postgres]
                             [--rounds 3] [--cache DIR]

For each database and round (each in its own process on a fresh database: Django reads its
settings once) it measures the crosswalk import speed (`import_dataset`, the real code path)
against a baseline measured just before in the same process — the same file read with the csv
module and written, with no validation, into an unindexed table of the same columns: with a
bare `executemany` on SQLite, with COPY on PostgreSQL (what envol uses there) — then the
matching of a 100k-following import on both networks (`compute_matches`, one INSERT … SELECT
each) after dropping the machine's page cache (when this process may; the output says whether
it could). The last round also measures the update path: the same file imported again, then a
file with 10 % of its rows changed. PostgreSQL is a cluster of its own started with
PostgreSQL's defaults (fsync, synchronous commit, full-page writes: durable, as production runs
it). Dirty pages are flushed (`sync`) before each timing. Bars, on both databases: median
import ≥ 100,000 rows/s and matching ≤ 2 s (slowest network, median round). One JSON line ends
the output; the exit status is 1 when a bar is missed.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envol.testing.bench import Bar, at_least, at_most, load_average, median, report

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


def changed_copy(path: Path, target: Path, every: int = 10) -> None:
    """The dataset with one row in `every` pointing at another DID (a changed file)."""
    rnd = random.Random(11)
    with (
        path.open(newline="", encoding="utf-8") as src,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader, writer = csv.reader(src), csv.writer(out)
        writer.writerow(next(reader))
        for i, row in enumerate(reader):
            if i % every == 0:
                row[3] = "did:plc:" + "".join(rnd.choices(BASE32, k=24))
            writer.writerow(row)


def drop_caches() -> bool:
    """Empty the page cache (root on Linux), so that matching reads from the disk."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def settle_writes() -> None:
    """Before each timed side: the files and, on PostgreSQL, the write-ahead log flushed by a
    checkpoint, so that neither side pays for the other's writes (the baseline's 5M rows
    otherwise brought the next checkpoint, and its full-page writes, into envol's import)."""
    from django.db import connection

    os.sync()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")


def baseline_seconds(path: Path) -> float:
    """The same file, csv module, no validation, into an unindexed table: bare executemany on
    SQLite, COPY on PostgreSQL."""
    from django.db import connection, transaction

    settle_writes()
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
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY bench_baseline FROM STDIN") as copy:
                    for row in reader:
                        copy.write_row(row)
            else:
                insert = "INSERT INTO bench_baseline VALUES (%s, %s, %s, %s, %s, %s)"
                batch: list[list[str]] = []
                for row in reader:
                    batch.append(row)
                    if len(batch) == 20_000:
                        cursor.executemany(insert, batch)
                        batch = []
                if batch:
                    cursor.executemany(insert, batch)
        cursor.execute("DROP TABLE bench_baseline")
    return time.perf_counter() - started


def timed_import(path: Path, label: str, rows: int, vendor: str) -> tuple[float, Any]:
    from envol.crosswalk.services import import_dataset

    settle_writes()
    started = time.perf_counter()
    summary = import_dataset(path, "bench")
    elapsed = time.perf_counter() - started
    assert summary.rejected == 0, summary.errors[:3]
    print(
        f"[{vendor}] {label}: {rows:,} rows ({summary.imported:,} new links, "
        f"{summary.updated:,} updated) in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s",
        flush=True,
    )
    return elapsed, summary


def child(args: argparse.Namespace) -> None:
    """Runs inside the process configured for one database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from envol.bulk import insert_rows
    from envol.crosswalk.matching import compute_matches
    from envol.orgs.services import create_organisation
    from envol.portability.models import ArchiveImport, Relation, SourceAccount

    if connection.vendor == "postgresql":  # a fresh database for each round
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    path = Path(args.file)
    vendor = connection.vendor

    baseline = baseline_seconds(path)
    elapsed, _summary = timed_import(path, "crosswalk import", args.rows, vendor)
    rate, base_rate = args.rows / elapsed, args.rows / baseline
    print(
        f"[{vendor}] baseline (csv, no index, no validation, "
        f"{'COPY' if vendor == 'postgresql' else 'executemany'}): {baseline:.1f} s = "
        f"{base_rate:,.0f} rows/s; envol/baseline time ratio {elapsed / baseline:.2f}",
        flush=True,
    )
    result: dict[str, Any] = {"rate": rate, "ratio": elapsed / baseline}

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
    dropped = True
    for network in ("bluesky", "mastodon"):
        dropped &= drop_caches()
        started = time.perf_counter()
        matches = compute_matches(archive, network, in_parts=True)  # as the job does
        took = time.perf_counter() - started
        print(
            f"[{vendor}] matching of {matches.relations:,} following on {network}: {took:.2f} s "
            f"({matches.matched:,} matched, bands {matches.by_band})",
            flush=True,
        )
        result[f"matching_{network}"] = took
    result["caches_dropped"] = dropped
    if args.last_round:
        again, _ = timed_import(path, "the same file again", args.rows, vendor)
        changed, _ = timed_import(
            Path(args.changed), "a file with 10 % of its rows changed", args.rows, vendor
        )
        result |= {"reimport_rate": args.rows / again, "changed_rate": args.rows / changed}
    print("RESULT " + json.dumps(result), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--following", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="keep the generated dataset here, reuse it")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--changed", help=argparse.SUPPRESS)
    parser.add_argument("--sample", help=argparse.SUPPRESS)
    parser.add_argument("--last-round", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    work = Path(tempfile.mkdtemp(prefix="envol-bench-matching-"))
    try:
        return run_rounds(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_rounds(args: argparse.Namespace, work: Path) -> int:
    data = args.cache or work
    data.mkdir(parents=True, exist_ok=True)
    dataset, sample_file = data / f"crosswalk-{args.rows}.csv", data / f"sample-{args.rows}.txt"
    changed = data / f"crosswalk-{args.rows}-changed.csv"
    if not sample_file.exists():
        started = time.perf_counter()
        sample = generate(dataset, args.rows)
        sample_file.write_text("\n".join(sample))
        print(
            f"generated {args.rows:,} rows ({dataset.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
    if not changed.exists():
        changed_copy(dataset, changed)
    figures: dict[str, Any] = {"rows": args.rows, "following": args.following}
    figures["load_before"] = load_average()
    bars: dict[str, Bar] = {}
    for db in args.db.split(","):
        env = {**os.environ, "ENVOL_SECRET_KEY": "bench-" * 8}
        cluster = None
        if db == "postgres":
            from envol.testing.postgres import PostgresCluster, PostgresUnavailable

            try:
                cluster = PostgresCluster.start(durable=True)
            except PostgresUnavailable as exc:
                print(f"[postgresql] cannot run: {exc}")
                bars["postgres_available"] = at_least(1, 0)
                continue
            env["ENVOL_DATABASE_URL"] = cluster.url
        else:
            env.pop("ENVOL_DATABASE_URL", None)
        try:
            rounds = [
                _round(
                    args,
                    env,
                    work / f"{db}-{i}",
                    i == args.rounds - 1,
                    dataset,
                    changed,
                    sample_file,
                )
                for i in range(args.rounds)
            ]
        finally:
            if cluster is not None:
                cluster.stop()
        rates = [r["rate"] for r in rounds]
        matching = [max(r["matching_bluesky"], r["matching_mastodon"]) for r in rounds]
        print(
            f"[{db}] import over {args.rounds} rounds: median {median(rates):,.0f} rows/s "
            f"(min {min(rates):,.0f}, max {max(rates):,.0f}); envol/baseline ratio median "
            f"{median([r['ratio'] for r in rounds]):.2f}; matching (slowest network) median "
            f"{median(matching):.2f} s"
        )
        figures[db] = {
            "import_rows_per_s": rates,
            "ratio_to_baseline": [r["ratio"] for r in rounds],
            "matching_bluesky_s": [r["matching_bluesky"] for r in rounds],
            "matching_mastodon_s": [r["matching_mastodon"] for r in rounds],
            "caches_dropped": all(r["caches_dropped"] for r in rounds),
            "reimport_rows_per_s": rounds[-1]["reimport_rate"],
            "changed_file_rows_per_s": rounds[-1]["changed_rate"],
        }
        bars[f"{db}_import_rows_per_s"] = at_least(100_000, median(rates))
        bars[f"{db}_matching_s"] = at_most(2.0, median(matching))
    figures["load_after"] = load_average()
    return report("matching", figures, bars)


def _round(
    args: argparse.Namespace,
    env: dict[str, str],
    data_dir: Path,
    last: bool,
    dataset: Path,
    changed: Path,
    sample_file: Path,
) -> dict[str, Any]:
    data_dir.mkdir()
    command = [sys.executable, __file__, "--child", "--rows", str(args.rows)]
    command += ["--following", str(args.following), "--file", str(dataset)]
    command += ["--changed", str(changed), "--sample", str(sample_file)]
    command += ["--last-round"] if last else []
    done = subprocess.run(
        command,
        env={**env, "ENVOL_DATA_DIR": str(data_dir)},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line.removeprefix("RESULT "))
        else:
            print(line, flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


if __name__ == "__main__":
    sys.exit(main())
