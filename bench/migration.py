"""Benchmark of the follow migration on a real PDS (limits off) and of its rate model.

    python bench/migration.py [--follows 5000] [--rounds 2]

1. Throughput: a migration job of N follows (the job engine's `run_to_end`, the real code path:
   claims, items in SQLite, keys committed and points reserved before each applyWrites, counters,
   the account's shared budget) against a baseline measured
   in the same run on the same PDS — a bare loop of 200-write applyWrites with httpx, nothing
   stored. Each round uses two fresh accounts; the best round of each is kept. Bar: ratio ≥ 0.8.
2. HTTP requests per follow made by the job (every httpx request in this process is counted,
   session creation and the reading of the own follows included). Bar: ≤ 0.01.
3. A simulated 48-hour run of the rate model under Bluesky's published limits (5,000 points an
   hour, 35,000 a day, 3 points a create): share of the allowance used (bar ≥ 95 %) and 429s
   (bar: zero); and the planner's estimate for the same backlog.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def random_did() -> str:
    return "did:plc:" + "".join(secrets.choice(ALPHABET) for _ in range(24))


class RequestCounter:
    """Counts every request sent by any httpx client of this process (an event-hook-like wrap
    of `httpx.Client.send`; the requests themselves go out unchanged)."""

    def __init__(self) -> None:
        import httpx

        self.count = 0
        original = httpx.Client.send

        def counting_send(client: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(client, request, *args, **kwargs)

        httpx.Client.send = counting_send  # type: ignore[method-assign]


def baseline(pds: Any, dids: list[str]) -> float:
    """Seconds for a bare loop of 200-write applyWrites creating these follows."""
    from envol.networks.bluesky import new_tid

    account = pds.create_account("base")
    with pds.client(account) as http:
        started = time.perf_counter()
        for start in range(0, len(dids), 200):
            writes = [
                {
                    "$type": "com.atproto.repo.applyWrites#create",
                    "collection": "app.bsky.graph.follow",
                    "rkey": new_tid(),
                    "value": {
                        "$type": "app.bsky.graph.follow",
                        "subject": did,
                        "createdAt": "2026-11-23T12:00:00.000Z",
                    },
                }
                for did in dids[start : start + 200]
            ]
            response = http.post(
                "/xrpc/com.atproto.repo.applyWrites", json={"repo": account.did, "writes": writes}
            )
            response.raise_for_status()
        return time.perf_counter() - started


def envol_run(pds: Any, dids: list[str], counter: RequestCounter) -> tuple[float, int, Any]:
    """Seconds and HTTP requests of a migration job of these follows, from a fresh account."""
    from envol.jobs.runner import run_to_end
    from envol.migration import services
    from envol.migration.tests.conftest import accepted_import, bluesky_connected
    from envol.orgs.services import create_organisation

    org = create_organisation(f"bench-{secrets.token_hex(3)}", "Bench")
    account = bluesky_connected(org, pds, pds.create_account("envol"))
    archive = accepted_import(org, "bluesky", dids)
    job = services.create_job(
        org, archive.pk, account, "bluesky", options={"published_limits": False}
    )
    before = counter.count
    started = time.perf_counter()
    job = run_to_end(job)
    elapsed = time.perf_counter() - started
    assert services.status(job)["done"] == len(dids), services.status(job)
    return elapsed, counter.count - before, job


def simulation() -> None:
    from envol.migration.planning import BLUESKY_PACE, seconds_to_follow
    from envol.networks.ratelimit import simulate_bulk_writes

    result = simulate_bulk_writes(hours=48.0)
    print(
        f"48-h simulation under the published limits: {result.items_sent:,} follows in "
        f"{result.calls} calls, {result.points_used:,} of {result.points_allowed:,} points "
        f"= {100 * result.share_used:.1f} % of the allowance (bar ≥ 95 %), "
        f"{result.rejected_calls} calls answered 429 (bar: 0)"
    )
    hours = seconds_to_follow(result.items_sent, BLUESKY_PACE) / 3600
    print(f"planner's estimate for the same {result.items_sent:,} follows: {hours:.1f} h")
    ok = result.share_used >= 0.95 and result.rejected_calls == 0
    print("simulation bars:", "met" if ok else "NOT MET")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="envol-bench-migration-"))
    os.environ["ENVOL_DATA_DIR"] = str(work)
    os.environ.setdefault("ENVOL_SECRET_KEY", "bench-" * 8)
    os.environ.pop("ENVOL_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "envol.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from envol.testing.pds import PdsServer

    call_command("migrate", verbosity=0)
    counter = RequestCounter()
    with PdsServer.start(rate_limits=False) as pds:
        base_best = envol_best = float("inf")
        requests = 0
        for round_number in range(1, args.rounds + 1):
            dids = [random_did() for _ in range(args.follows)]
            base = baseline(pds, dids)
            took, requests, job = envol_run(pds, dids, counter)
            print(
                f"round {round_number}: baseline {args.follows / base:,.0f} follows/s, "
                f"envol {args.follows / took:,.0f} follows/s ({job.calls} batches)"
            )
            base_best, envol_best = min(base_best, base), min(envol_best, took)
        ratio = base_best / envol_best
        per_follow = requests / args.follows
        print(
            f"throughput: envol {args.follows / envol_best:,.0f} follows/s vs bare applyWrites "
            f"loop {args.follows / base_best:,.0f} follows/s: ratio {ratio:.2f} (bar ≥ 0.8)"
        )
        print(
            f"HTTP requests: {requests} for {args.follows:,} follows = {per_follow:.4f} "
            "per follow (bar ≤ 0.01)"
        )
        print("PDS bars:", "met" if ratio >= 0.8 and per_follow <= 0.01 else "NOT MET")
    simulation()


if __name__ == "__main__":
    main()
