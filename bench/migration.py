"""Benchmark of the follow migration on a real PDS (limits off) and of its rate model.

    python bench/migration.py [--follows 5000] [--rounds 5]

1. Throughput: a migration job of N follows (`create_job` then `run_to_end`, the public service
   API: items in SQLite, keys committed before each applyWrites, counters, stored budget)
   against a bare loop of 200-write applyWrites with httpx, nothing stored, on the same PDS.
   Rounds are paired: both sides back to back, each on a fresh account, the order alternating;
   the ratio of each round (bare time / envol time) and their median are reported. Bar: median
   ≥ 0.95 — the per-batch bookkeeping costs less than 5 %.
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
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envol.testing.bench import at_least, at_most, load_average, median, paired_rounds, report

RATIO_BAR = 0.95

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
    job = services.run_to_end(job.pk)
    elapsed = time.perf_counter() - started
    assert services.status(job)["done"] == len(dids), services.status(job)
    return elapsed, counter.count - before, job


def simulation() -> dict[str, Any]:
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
    return {
        "follows": result.items_sent,
        "calls": result.calls,
        "points_used": result.points_used,
        "points_allowed": result.points_allowed,
        "share_used": result.share_used,
        "rejected_calls": result.rejected_calls,
        "planner_hours": hours,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="envol-bench-migration-"))
    try:
        return run_bench(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_bench(args: argparse.Namespace, work: Path) -> int:
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
    load_before = load_average()
    with PdsServer.start(rate_limits=False) as pds:
        requests: list[int] = []
        for _warm_up in range(1):  # the PDS's first writes (JIT, caches) belong to no side
            baseline(pds, [random_did() for _ in range(400)])

        def bare() -> float:
            return baseline(pds, [random_did() for _ in range(args.follows)])

        def envol() -> float:
            took, made, _job = envol_run(pds, [random_did() for _ in range(args.follows)], counter)
            requests.append(made)
            return took

        pairs = paired_rounds(args.rounds, bare, envol)
    ratios = [base / took for base, took in pairs]
    for number, (base, took) in enumerate(pairs, 1):
        print(
            f"round {number} ({'bare first' if number % 2 else 'envol first'}): bare "
            f"{args.follows / base:,.0f} follows/s, envol {args.follows / took:,.0f} "
            f"follows/s, ratio {base / took:.3f}"
        )
    per_follow = max(requests) / args.follows
    print(
        f"throughput ratio envol / bare applyWrites loop: median of {args.rounds} paired "
        f"rounds {median(ratios):.3f} (bar ≥ {RATIO_BAR})"
    )
    print(f"HTTP requests: at most {max(requests)} for {args.follows:,} follows")
    figures = {
        "follows": args.follows,
        "rounds": args.rounds,
        "bare_seconds": [base for base, _took in pairs],
        "envol_seconds": [took for _base, took in pairs],
        "paired_ratios": ratios,
        "requests_per_follow": per_follow,
        "rate_model_48h": simulation(),
        "load_before": load_before,
        "load_after": load_average(),
    }
    model = figures["rate_model_48h"]
    bars = {
        "throughput_ratio_median_paired": at_least(RATIO_BAR, median(ratios)),
        "requests_per_follow": at_most(0.01, per_follow),
        "rate_model_48h_share_used": at_least(0.95, model["share_used"]),
        "rate_model_48h_429s": at_most(0, model["rejected_calls"]),
    }
    return report("migration", figures, bars)


if __name__ == "__main__":
    sys.exit(main())
