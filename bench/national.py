"""Benchmark of a national public instance: a crowd joins, uploads its archives, consents, and
everyone who followed them on X finds them — at growing scales, to see how each cost grows.

    python bench/national.py [--people 330,1100,3300] [--following 1400] [--workers 4]
                             [--db postgres|sqlite]

Full size (1/100, 1/30 and 1/10 of OpenPortability's first three weeks, up to ~4.7M relation
rows; about an hour on 2 free cores): `python bench/national.py`. While the machine is shared,
`python bench/national.py --people 33,110,330 --following 140` runs the same code at 1/1000.

Each scale runs in its own process on a fresh database (PostgreSQL: a durable throwaway cluster,
as production runs it). The population: N people who signed in with Bluesky, each following
`--following` X accounts — a quarter of them (at most N-1) people of the population, chosen with a
popularity skew, the rest accounts that never join — with consent levels 10 % private, 60 % my
followers, 30 % public. Every person's archive is uploaded as the people's journey does it (the
import and its follow-up job in one transaction), then `--workers` real `envol worker` processes
import them concurrently on the job engine; each import's end makes its follow-up due, which
writes the person's matches, their consented link and the incremental matches of everyone whose
archive names them.

Figures per scale: archives/min (all uploads to the last follow-up done), relation rows/s
against the bare baseline (the same rows `executemany`'d into an unindexed table, same process),
incremental matches/s (every joined person's link re-matched, one INSERT … SELECT per batch,
after their matches are deleted and the table vacuumed, as autovacuum would), p95
seconds from a person's archive being in to their followers seeing the match (the follow-up's
end; the queue wait before the import is archives/min's business), and database bytes per million
relation rows. Growth from one scale to the next: each per-unit cost at the largest scale divided
by the smallest's. Bars: linear or better (each per-unit growth ≤ 1.5, noise allowed), and the
import at ≥ 2 % of the bare insert's rows/s. The extrapolation to 33,000 people / 47M links is
printed with its basis (per-unit costs measured at the largest scale, held constant).

Then `--migrating` people (30 by default, spread over the population) follow their matches at
once against a real local PDS with its limits off, on the same workers: follows/s across
accounts, each account's median, and the follow records counted on the PDS afterwards (exactly
one per follow done). `bench/migration.py` measures one account's against a bare loop; the
fairness between accounts is proven by `envol/jobs/tests/test_runner.py` and
`envol/migration/tests/test_fairness.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envol.testing.bench import Bar, at_least, at_most, load_average, report

CONSENT = [("private", 0.1), ("followers", 0.6), ("public", 0.3)]
OPENPORTABILITY_PEOPLE = 33_000
GROWTH_LIMIT = 1.5
MIGRATING = 30  # people whose follow migration runs at once against the local PDS, per scale
LETTERS = str.maketrans("0123456789", "abcdefghij")


def x_id_of(person: int) -> str:
    return str(1_000_000_000 + person)


def outsider(rnd: random.Random) -> str:
    return str(rnd.randrange(10**12, 10**13))


def population(people: int, following: int, seed: int = 19) -> list[list[str]]:
    """Each person's following list: a quarter people of the population (popularity skew:
    low numbers are followed more), the rest outsiders."""
    rnd = random.Random(seed)
    inside = min(people - 1, following // 4)
    lists: list[list[str]] = []
    for me in range(people):
        chosen: set[int] = set()
        while len(chosen) < inside:
            other = min(int(rnd.paretovariate(1.2)) - 1, people - 1)
            other = other if rnd.random() < 0.5 else rnd.randrange(people)
            if other != me:
                chosen.add(other)
        lists.append(
            [x_id_of(o) for o in chosen] + [outsider(rnd) for _ in range(following - inside)]
        )
    return lists


# --- the child: one scale, its own database ---------------------------------------------------


def run_workers(workers: int, busy: Callable[[], bool]) -> None:
    """`workers` real `envol worker` processes on this database until `busy()` turns false."""
    from django.db import connection

    connection.close()  # nothing of this process's held open while the workers write
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "envol", "worker", "--interval", "0.2"],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        while busy():
            if any(p.poll() is not None for p in procs):
                raise SystemExit("a worker died")
            time.sleep(1)
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def migrate_sample(spaces: list[Any], migrating: int, workers: int) -> dict[str, Any]:
    """Follow migrations of `migrating` people at once (spread over the population) against a
    real local PDS, limits off: each person connects a PDS account and follows every match of
    their archive, through the same jobs, workers and per-account budgets as production. The
    follow subjects are the crowd's made-up DIDs: a PDS stores a follow record without
    resolving its subject. Checked after: each account holds exactly one follow record per
    item done (none twice, none lost)."""
    from envol.migration import services as migration
    from envol.migration.models import ACTIVE_STATES, JobState, MigrationJob
    from envol.orgs import accounts
    from envol.portability.models import ArchiveImport
    from envol.testing.pds import PdsServer

    chosen = spaces[:: max(1, len(spaces) // migrating)][:migrating]
    with PdsServer.start(rate_limits=False) as pds:
        jobs = []
        for space in chosen:
            who = pds.create_account("bench")
            account = accounts.connect_bluesky(space, who.handle, who.password, pds.url)
            archive = ArchiveImport.objects.filter(organisation=space).latest("pk")
            jobs.append(
                migration.create_job(
                    space, archive.pk, account, "bluesky", options={"published_limits": False}
                ).pk
            )
        started = time.monotonic()
        run_workers(
            workers,
            lambda: MigrationJob.objects.filter(pk__in=jobs, state__in=ACTIVE_STATES).exists(),
        )
        elapsed = time.monotonic() - started
        done = list(MigrationJob.objects.filter(pk__in=jobs).select_related("account"))
        follows = sum(migration.status(job)["done"] for job in done)
        records = sum(follow_records(pds, job.account.remote_id) for job in done)
        per_account = sorted(
            migration.status(job)["done"] / (job.finished_at - job.started_at).total_seconds()
            for job in done
            if job.finished_at and job.started_at and job.finished_at > job.started_at
        )
    return {
        "accounts": len(done),
        "follows": follows,
        "follow_records_on_pds": records,
        "jobs_not_done": sum(1 for job in done if job.state != JobState.DONE),
        "follows_per_s": follows / elapsed if elapsed else 0.0,
        "account_follows_per_s_median": per_account[len(per_account) // 2] if per_account else 0,
        "seconds": elapsed,
    }


def follow_records(pds: Any, did: str) -> int:
    """The follow records in one repository on the PDS, every page."""
    count, cursor = 0, None
    with pds.client() as http:
        while True:
            params = {"repo": did, "collection": "app.bsky.graph.follow", "limit": 100}
            page = http.get(
                "/xrpc/com.atproto.repo.listRecords",
                params=params | ({"cursor": cursor} if cursor else {}),
            ).json()
            count += len(page["records"])
            cursor = page.get("cursor")
            if not cursor or not page["records"]:
                return count


def child(people: int, following: int, workers: int, migrating: int) -> dict[str, Any]:
    import django

    os.environ["ENVOL_ALLOW_PRIVATE_NETWORKS"] = "true"  # the local PDS is on a loopback port

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import override_settings

    from envol.crosswalk import incremental
    from envol.crosswalk.models import IdentityLink, Match
    from envol.crosswalk.sources import SELF_SOURCES
    from envol.orgs.models import ConnectedAccount
    from envol.people import services
    from envol.people.models import ArchiveFollowUp
    from envol.portability.models import ArchiveImport
    from envol.portability.services import receive_upload
    from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

    call_command("migrate", verbosity=0)
    lists = population(people, following)
    followers: list[list[str]] = [[] for _ in range(people)]
    for me, followed in enumerate(lists):
        for x in followed:
            n = int(x) - 1_000_000_000
            if 0 <= n < people:
                followers[n].append(x_id_of(me))

    class Crowd(XArchiveFactory):
        def __init__(self, me: int) -> None:
            super().__init__(
                ArchiveSpec(
                    seed=me,
                    tweets=0,
                    following=0,
                    followers=0,
                    blocks=0,
                    mutes=0,
                    lists_created=0,
                    lists_member=0,
                    media_files=False,
                )
            )
            self.me = me
            self.account = dataclasses.replace(self.account, id=x_id_of(me))

        def relation_ids(self, kind: Any) -> list[str]:
            return {"following": lists[self.me], "follower": followers[self.me]}.get(kind.value, [])

    rnd = random.Random(7)
    levels = [level for level, share in CONSENT for _ in range(int(share * 10))]
    spaces = []
    with override_settings(ENVOL_SIGNUP="open"):
        for me in range(people):
            did = "did:plc:" + f"{me:024d}".translate(LETTERS)  # base32, as PLC wants
            user = services.sign_in(
                services.NetworkIdentity("bluesky", did, f"p{me}.bench.test", "https://pds.test")
            )
            space = services.person_space_of(user)
            assert space is not None
            account = ConnectedAccount.objects.get(organisation=space)
            services.set_consent(account, rnd.choice(levels))
            spaces.append(space)
    archives = []
    for me in range(people):
        path = Path(tempfile.mkstemp(suffix=".zip")[1])
        Crowd(me).write_zip(path)
        archives.append(path)

    started = time.monotonic()
    for space, path in zip(spaces, archives, strict=True):
        upload = SimpleUploadedFile(f"twitter-{space.slug}.zip", path.read_bytes())
        with transaction.atomic():
            services.follow_up(receive_upload(space, upload))
        path.unlink()
    uploaded = time.monotonic() - started

    open_states = (ArchiveFollowUp.State.WAITING, ArchiveFollowUp.State.READY)
    run_workers(workers, lambda: ArchiveFollowUp.objects.filter(state__in=open_states).exists())
    elapsed = time.monotonic() - started
    failed = ArchiveFollowUp.objects.exclude(state=ArchiveFollowUp.State.DONE).count()
    errors = sorted(
        {
            str(error)[:300]
            for error in [
                *ArchiveFollowUp.objects.exclude(last_error="").values_list(
                    "last_error", flat=True
                ),
                *ArchiveImport.objects.exclude(state="done").values_list("error", flat=True),
            ]
        }
    )[:5]
    relations = sum(len(f) for f in lists) + sum(len(f) for f in followers)

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")

    follow_ups = list(ArchiveFollowUp.objects.select_related("archive_import"))
    # The follow-up's own step: the person's link written and matched for every archive that
    # names them — from then on their followers see them.
    seen = p95(
        [
            (f.finished_at - f.started_at).total_seconds()
            for f in follow_ups
            if f.finished_at and f.started_at
        ]
    )
    # The same, queue included: from the archive in to that step done (all uploads arrive at
    # once here, so this is the queue's business more than the matching's).
    queued = p95(
        [
            (f.finished_at - f.archive_import.finished_at).total_seconds()
            for f in follow_ups
            if f.finished_at and f.archive_import.finished_at
        ]
    )

    # Incremental matching throughput: every joined person's link again, from scratch.
    matches_total = Match.objects.count()
    links = list(IdentityLink.objects.filter(source__in=SELF_SOURCES).values_list("pk", flat=True))
    Match.objects.filter(link_id__in=links).delete()
    if connection.vendor == "postgresql":
        # As autovacuum would after such a delete: a person who joins meets no dead match of
        # their own keys, and each insert here would otherwise check one in the unique index.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE crosswalk_match")
    tick = time.monotonic()
    written = incremental.match_new_links(links)
    matching_s = time.monotonic() - tick

    # The bare baseline: the same number of rows into an unindexed table, in this process.
    rows = [(i % people, "following", str(i)) for i in range(relations)]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bare_relation (owner integer, kind text, remote_id text)")
        tick = time.monotonic()
        with transaction.atomic():
            cursor.executemany("INSERT INTO bare_relation VALUES (%s, %s, %s)", rows)
        bare_s = time.monotonic() - tick
        cursor.execute("DROP TABLE bare_relation")
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            size = int(cursor.fetchone()[0])
        else:
            size = Path(connection.settings_dict["NAME"]).stat().st_size
    migrations = migrate_sample(spaces, migrating, workers) if migrating else {}
    return {
        "people": people,
        "relations": relations,
        "imports_failed": failed + ArchiveImport.objects.exclude(state="done").count(),
        "errors": errors,
        "upload_s": uploaded,
        "archives_per_min": people / elapsed * 60,
        "relations_per_s": relations / elapsed,
        "bare_rows_per_s": relations / bare_s,
        "matches_per_s": len(written) / matching_s if matching_s else 0.0,
        "matches": len(written),
        "matches_total": matches_total,
        "people_linked": len(links),
        "join_to_seen_p95_s": seen,
        "join_to_seen_with_queue_p95_s": queued,
        "db_bytes_per_million_relations": size / (relations / 1e6),
        "seconds": elapsed,
        "migrations": migrations,
    }


# --- the parent: scales, growth, bars ----------------------------------------------------------


def run_scale(args: argparse.Namespace, people: int, db: str) -> dict[str, Any]:
    env = dict(os.environ)
    data = tempfile.mkdtemp(prefix=f"envol-national-{people}-")
    env |= {"ENVOL_DATA_DIR": data, "ENVOL_LANGUAGE": "en"}
    cluster = None
    if db == "postgres":
        from envol.testing.postgres import PostgresCluster

        cluster = PostgresCluster.start(durable=True)
        env["ENVOL_DATABASE_URL"] = cluster.url
    else:
        env.pop("ENVOL_DATABASE_URL", None)
    try:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(people),
                "--following",
                str(args.following),
                "--workers",
                str(args.workers),
                "--migrating",
                str(args.migrating),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(data, ignore_errors=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"[{db} {people} people] " + json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="330,1100,3300")
    parser.add_argument("--following", type=int, default=1400)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--migrating", type=int, default=MIGRATING)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.following, args.workers, args.migrating)
        print(json.dumps(result), flush=True)
        return 0

    load = load_average()
    scales = [run_scale(args, int(n), args.db) for n in args.people.split(",")]
    first, last = scales[0], scales[-1]

    def growth(name: str, per_unit_lower_is_better: bool = True) -> float:
        a, b = first[name], last[name]
        if not a or not b:
            return float("inf")  # nothing measured at one scale: a missed bar, not a crash
        return float(b / a) if per_unit_lower_is_better else float(a / b)

    migrated = [s["migrations"] for s in scales if s["migrations"]]
    growths = {
        "seconds_per_archive": growth("archives_per_min", per_unit_lower_is_better=False),
        "seconds_per_relation": growth("relations_per_s", per_unit_lower_is_better=False),
        "seconds_per_match": growth("matches_per_s", per_unit_lower_is_better=False),
        "join_to_seen_p95": growth("join_to_seen_p95_s"),
        "bytes_per_relation": growth("db_bytes_per_million_relations"),
    }
    if len(migrated) == len(scales):
        a, b = migrated[0]["follows_per_s"], migrated[-1]["follows_per_s"]
        growths["seconds_per_follow"] = float(a / b) if a and b else float("inf")
    factor = OPENPORTABILITY_PEOPLE / last["people"]
    extrapolation = {
        "basis": (
            f"per-unit costs at {last['people']} people held constant (growth measured "
            f"{first['people']}→{last['people']}), {args.workers} workers, this machine"
        ),
        "people": OPENPORTABILITY_PEOPLE,
        "relations": last["relations"] * factor,
        "import_hours": last["seconds"] * factor / 3600,
        "database_gb": last["db_bytes_per_million_relations"] * last["relations"] * factor / 1e15,
    }
    bars: dict[str, Bar] = {
        f"growth_{name}": at_most(GROWTH_LIMIT, value) for name, value in growths.items()
    }
    bars["imports_failed"] = at_most(0, sum(s["imports_failed"] for s in scales))
    if migrated:
        bars["migrations_not_done"] = at_most(0, sum(m["jobs_not_done"] for m in migrated))
        bars["follow_records_not_one_per_follow"] = at_most(
            0, sum(abs(m["follow_records_on_pds"] - m["follows"]) for m in migrated)
        )
    bars["import_vs_bare"] = at_least(0.02, last["relations_per_s"] / last["bare_rows_per_s"])
    figures = {
        "db": args.db,
        "workers": args.workers,
        "following": args.following,
        "load_average": load,
        "scales": scales,
        "growth_smallest_to_largest": growths,
        "extrapolation": extrapolation,
    }
    return report("national", figures, bars)


if __name__ == "__main__":
    sys.exit(main())
