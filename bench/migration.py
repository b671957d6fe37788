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
3. A simulated 48-hour run of the real job code (`services.advance` and the Bluesky driver, the
   budget stored with the job, a restart every 6 hours) against a simulated PDS whose limiter
   counts like the PDS under Bluesky's published limits (5,000 points an hour, 35,000 a day, 3
   points a create), unknown to the job at first (`published_limits: false`: learned from the
   headers): share of the allowance used (bar ≥ 95 %) and calls answered 429 (bar: zero).
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
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


SIMULATED_HOURS = 48.0
CALL_SECONDS = 0.3  # one applyWrites of 200 on a PDS (notes/bluesky-pds.md)
RESTART_EVERY_S = 6 * 3600  # a new process (fresh adapter, budget from the job) this often


def simulated_pds_class() -> type:
    """A Bluesky account on a simulated PDS clock, behind envol's `Network` interface, so that
    the real job code — `advance`, the Bluesky driver, the stored budget — drives it. Its rate
    budget behaves as the real adapter's (`networks/bluesky.py`): points spent before each
    `applyWrites`, every response's `ratelimit-*` headers observed, a 429 raised as
    `RateLimited` with the server's reset. The server side is `SimulatedLimiter`, written
    apart from the planner's `RateBudget`; its limits (Bluesky's published ones) reach envol
    only through its headers."""
    from envol.networks.base import (
        FollowResult,
        FollowStatus,
        Network,
        NetworkName,
        OwnFollow,
        RateLimited,
        Unsupported,
    )
    from envol.networks.ratelimit import (
        BLUESKY_WRITE_COSTS,
        BLUESKY_WRITE_POLICIES,
        SimulatedLimiter,
        bluesky_observation,
        bluesky_tracker,
    )

    class Server:
        def __init__(self) -> None:
            self.limiter = SimulatedLimiter(BLUESKY_WRITE_POLICIES)
            self.records: dict[str, str] = {}  # key → subject
            self.points_accepted = self.calls = self.rejected = 0

    class SimulatedPds(Network):
        name = NetworkName.BLUESKY

        def __init__(self, server: Server, clock: Any) -> None:
            self.server, self.clock = server, clock
            self._rates = bluesky_tracker(lambda: datetime.fromtimestamp(clock.now, UTC))

        def rate_budget(self, action: str) -> Any:
            return self._rates.budget(action)

        def list_follows(self) -> Any:
            for key, subject in self.server.records.items():
                yield OwnFollow(subject, key, f"at://sim/app.bsky.graph.follow/{key}")

        def follow_many(self, requests: Any) -> list[Any]:
            points = len(requests) * BLUESKY_WRITE_COSTS["create"]
            self.rate_budget("write").spend(points)
            self.server.calls += 1
            allowed, headers = self.server.limiter.hit(points, self.clock.now)
            observation = bluesky_observation(headers)
            if observation is not None:
                self.rate_budget("write").observe(observation)
            if not allowed:
                self.server.rejected += 1
                reset = datetime.fromtimestamp(int(headers["ratelimit-reset"]), UTC)
                raise RateLimited(reset, max(reset.timestamp() - self.clock.now, 0.0))
            self.server.points_accepted += points
            for request in requests:
                self.server.records[request.key] = request.subject
            return [
                FollowResult(r.subject, FollowStatus.FOLLOWED, r.key, f"at://sim/{r.key}")
                for r in requests
            ]

        def capabilities(self) -> Any:
            raise Unsupported("simulation")

        def whoami(self) -> Any:
            raise Unsupported("simulation")

        def resolve(self, handle: str) -> Any:
            raise Unsupported("simulation")

        def publish(self, draft: Any, key: str) -> Any:
            raise Unsupported("simulation")

        def delete(self, publication: Any) -> None:
            raise Unsupported("simulation")

        def post_metrics(self, publications: Any) -> Any:
            raise Unsupported("simulation")

        def account_metrics(self) -> Any:
            raise Unsupported("simulation")

        def update_profile(self, update: Any) -> None:
            raise Unsupported("simulation")

    SimulatedPds.Server = Server  # type: ignore[attr-defined]
    return SimulatedPds


class SimulatedClock:
    now = 1_800_000_000.4


def simulation(follows: int = 30_000) -> dict[str, Any]:
    """48 hours of a real migration job (`services.advance`, the Bluesky driver, the budget
    stored with the job) against the simulated PDS, the clock jumping to each `resume_at`.
    The job starts with `published_limits: false`: it knows the server's limits only from
    its headers. A restart (a new adapter, the budget restored from the job) every 6 hours."""
    from envol.migration import services
    from envol.migration.tests.conftest import accepted_import
    from envol.networks.ratelimit import BLUESKY_WRITE_POLICIES
    from envol.orgs.models import ConnectedAccount
    from envol.orgs.services import create_organisation

    pds_class = simulated_pds_class()
    server = pds_class.Server()  # type: ignore[attr-defined]
    clock = SimulatedClock()
    org = create_organisation(f"sim-{secrets.token_hex(3)}", "Simulation")
    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="sim.test", remote_id=random_did()
    )
    archive = accepted_import(org, "bluesky", [random_did() for _ in range(follows)])
    job = services.create_job(
        org, archive.pk, account, "bluesky", options={"published_limits": False}
    )

    def fresh_adapter() -> Any:
        adapter = pds_class(server, clock)
        job.refresh_from_db()
        services.restore_budgets(job, adapter, datetime.fromtimestamp(clock.now, UTC))
        return adapter

    start, end = clock.now, clock.now + SIMULATED_HOURS * 3600
    adapter, restarted_at, steps, restarts = fresh_adapter(), clock.now, 0, 0
    while clock.now < end:
        if clock.now - restarted_at >= RESTART_EVERY_S:
            adapter, restarted_at, restarts = fresh_adapter(), clock.now, restarts + 1
        calls_before = server.calls
        step = services.advance(job.pk, now=datetime.fromtimestamp(clock.now, UTC), network=adapter)
        steps += 1
        if not step.active:
            break
        clock.now += CALL_SECONDS * (server.calls - calls_before)
        if step.resume_at is not None and step.resume_at.timestamp() > clock.now:
            clock.now = min(step.resume_at.timestamp(), end)
    hours = SIMULATED_HOURS
    allowed = min(p.limit * math.ceil(hours * 3600 / p.window_s) for p in BLUESKY_WRITE_POLICIES)
    job.refresh_from_db()
    result = {
        "hours": (clock.now - start) / 3600,
        "follows_done": job.count_done,
        "calls": server.calls,
        "job_steps": steps,
        "restarts": restarts,
        "points_used": server.points_accepted,
        "points_allowed": allowed,
        "share_used": server.points_accepted / allowed,
        "rejected_calls": server.rejected,
    }
    print(
        f"48-h run of the real job code (advance, driver, stored budget) against a simulated "
        f"PDS, limits learned from its headers: {job.count_done:,} follows in {server.calls} "
        f"calls ({steps} steps, {restarts} restarts), {server.points_accepted:,} of {allowed:,} "
        f"points = {100 * result['share_used']:.1f} % of the allowance (bar ≥ 95 %), "
        f"{server.rejected} calls answered 429 (bar: 0)"
    )
    return result


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
        "job_48h_simulated": simulation(),
        "load_before": load_before,
        "load_after": load_average(),
    }
    model = figures["job_48h_simulated"]
    bars = {
        "throughput_ratio_median_paired": at_least(RATIO_BAR, median(ratios)),
        "requests_per_follow": at_most(0.01, per_follow),
        "job_48h_share_of_allowance": at_least(0.95, model["share_used"]),
        "job_48h_429s": at_most(0, model["rejected_calls"]),
    }
    return report("migration", figures, bars)


if __name__ == "__main__":
    sys.exit(main())
