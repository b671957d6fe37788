"""Benchmark of the follow migration on a real PDS (limits off) and of its rate model.

    python bench/migration.py [--follows 5000] [--rounds 21]

1. Throughput: a migration job of N follows (`create_job` then `run_to_end`, the public service
   API: items in SQLite, keys committed before each applyWrites, counters, stored budget)
   against a bare loop of 200-write applyWrites with httpx, nothing stored, on the same PDS,
   each side on a fresh account, signed in once before its time starts. The sides are paired
   step by step: just before the job the bare loop makes as many calls as the job will, and
   after each step of the job (25 calls at most) as many calls as that step made, both outside
   the job's time; the job is compared with the mean of the two (see `paired_round` for why).
   Each round's ratio (bare time / envol time) and the median over rounds are reported.
   Bar: median ≥ 0.95 — the per-batch bookkeeping costs less than 5 %.
2. HTTP requests per follow made by the job (every httpx request in this process is counted,
   session creation and the reading of the own follows included). Bar: ≤ 0.01.
3. A simulated 48-hour run of the real job code — the engine's `step` (claim, handler, outcome
   stored), the migration's `follow_step`, the Bluesky driver and the account's shared budget
   (`envol.jobs.budgets`), a restart every 6 hours — against a simulated PDS whose limiter counts
   like the PDS under Bluesky's published limits (5,000 points an hour, 35,000 a day, 3 points a
   create), unknown to the job at first (`published_limits: false`: learned from the headers):
   points used, share of the allowance (bar ≥ 95 %) and calls answered 429. The PDS's headers
   describe only the tightest window (the hourly one until the daily one is nearly spent), so
   a job that knows no published limit meets the daily window by its first 429, which parks it
   until the reset (failing nothing) and teaches it that window: the bar is no 429 from a
   window already learned (`repeated_429s` = 0); every 429 is in the figures.
   `--simulated-hours 6` for a short run.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envol.testing.bench import at_least, at_most, load_average, median, report

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

        httpx.Client.send = counting_send  # type: ignore[method-assign,assignment]


class BareLoop:
    """The baseline: `applyWrites` of 200 follow creates with httpx, on an account of its own,
    nothing stored, nothing checked but the status. Signed in once, untimed, as the job's
    adapter is (a worker keeps its adapter from step to step)."""

    def __init__(self, pds: Any) -> None:
        account = pds.create_account("base")
        self.did = account.did
        self.http = pds.client()
        session = self.http.post(
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
        )
        session.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {session.json()['accessJwt']}"

    def calls(self, count: int, size: int = 200) -> float:
        """Seconds for `count` calls of `size` new follows each."""
        from envol.networks.bluesky import new_tid

        dids = [[random_did() for _ in range(size)] for _ in range(count)]
        started = time.perf_counter()
        for batch in dids:
            created = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            writes = [
                {
                    "$type": "com.atproto.repo.applyWrites#create",
                    "collection": "app.bsky.graph.follow",
                    "rkey": new_tid(),
                    "value": {
                        "$type": "app.bsky.graph.follow",
                        "subject": did,
                        "createdAt": created,  # the time of the call, as envol's records
                    },
                }
                for did in batch
            ]
            response = self.http.post(
                "/xrpc/com.atproto.repo.applyWrites", json={"repo": self.did, "writes": writes}
            )
            response.raise_for_status()
        return time.perf_counter() - started

    def close(self) -> None:
        self.http.close()


@dataclass
class Round:
    """One job of `follows` with the bare loop around it: as many calls just before the job,
    and after each of its steps as many calls as that step made (their time is not the job's);
    `bare_seconds` is the mean of the two."""

    envol_seconds: float
    bare_seconds: float
    requests: int

    @property
    def ratio(self) -> float:
        return self.bare_seconds / self.envol_seconds


def paired_round(pds: Any, follows: int, counter: RequestCounter) -> Round:
    """A migration job of `follows` from a fresh account (`create_job` then `run_to_end`, the
    public service API), its adapter signed in first, untimed, as a worker's is; the bare loop,
    on fresh accounts of its own, makes the job's number of calls just before it and, after
    each step, as many calls as the step made, outside the job's time. Pairing step by step
    puts both sides in the same moment of the machine: on this 2-core VM the PDS's own time per
    call drifts by ±15 % from one second to the next, more than the bookkeeping the bar is
    about. A step makes up to 25 calls (3 s), so the job is compared with the mean of the bare
    loop just before and just after it: a drift during the pair cancels out, and neither side
    always comes first (the PDS's work left over from creating the accounts and from the side
    before falls on both alike)."""
    from envol.jobs.runner import run_to_end
    from envol.migration import services
    from envol.migration.models import MigrationJob
    from envol.migration.tests.conftest import accepted_import, bluesky_connected
    from envol.orgs.accounts import network_for
    from envol.orgs.services import create_organisation

    org = create_organisation(f"bench-{secrets.token_hex(3)}", "Bench")
    account = bluesky_connected(org, pds, pds.create_account("envol"))
    archive = accepted_import(org, "bluesky", [random_did() for _ in range(follows)])
    job = services.create_job(
        org, archive.pk, account, "bluesky", options={"published_limits": False}
    )
    ahead = BareLoop(pds)
    bare = BareLoop(pds)
    bare_ahead = ahead.calls(math.ceil(follows / 200))
    ahead.close()
    before = counter.count
    context = {"network": network_for(account)}
    calls_seen, bare_seconds, aside = 0, 0.0, 0.0

    def bare_after(stepped_job: MigrationJob, _stepped: Any) -> None:
        nonlocal calls_seen, bare_seconds, aside
        started = time.perf_counter()
        made, calls_seen = stepped_job.calls - calls_seen, stepped_job.calls
        if made:
            bare_seconds += bare.calls(made)
        aside += time.perf_counter() - started

    started = time.perf_counter()
    job = run_to_end(job, context=context, on_step=bare_after)
    elapsed = time.perf_counter() - started - aside
    bare.close()
    assert services.status(job)["done"] == follows, services.status(job)
    requests = counter.count - before - calls_seen  # the job's own, its sign-in included
    return Round(elapsed, (bare_ahead + bare_seconds) / 2, requests)


SIMULATED_HOURS = 48.0
CALL_SECONDS = 0.3  # one applyWrites of 200 on a PDS (notes/bluesky-pds.md)
STEP_SECONDS = 0.05  # a step without a call (a move to running, a reconciliation)
RESTART_EVERY_S = 6 * 3600  # a new worker process (fresh adapter, budget from the DB) this often


class SimulatedServer:
    """The PDS side of the simulation: a limiter counting like the PDS under Bluesky's
    published limits (`SimulatedLimiter`, written apart from the planner's `RateBudget`), the
    follow records by key, and what it saw."""

    def __init__(self) -> None:
        from envol.networks.ratelimit import BLUESKY_WRITE_POLICIES, SimulatedLimiter

        self.limiter = SimulatedLimiter(BLUESKY_WRITE_POLICIES)
        self.records: dict[str, str] = {}  # key → subject
        self.points_accepted = self.points_refused = self.calls = self.rejected = 0
        self.lookups = 0
        self.refused_by: list[str] = []  # the `ratelimit-policy` of each 429


class SimulatedClock:
    """The server's and the engine's clock: seconds since the epoch, moved by the loop."""

    def __init__(self, start: float = 1_800_000_000.4) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


def simulated_bluesky(server: SimulatedServer, clock: SimulatedClock) -> Any:
    """A Bluesky adapter on the simulated PDS, behind envol's `Network` interface, so that the
    real job code drives it: the engine (`envol.jobs.runner.step`), the migration's handler
    (`follow_step`), the Bluesky driver (keys committed, points reserved in the account's
    shared budget, `sent` items reconciled by key) and `AccountBudgets`. Its own rate budget
    behaves as the real adapter's (`networks/bluesky.py`): points spent before each
    `applyWrites`, the `ratelimit-*` headers of every answer observed, a 429 raised as
    `RateLimited` with the server's reset. The server's limits reach envol only through them."""
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
        bluesky_observation,
        bluesky_tracker,
    )

    class SimulatedBluesky(Network):
        name = NetworkName.BLUESKY
        did = random_did()

        def __init__(self) -> None:
            self._rates = bluesky_tracker(clock)

        def rate_budget(self, action: str) -> Any:
            return self._rates.budget(action)

        def _uri(self, key: str) -> str:
            return f"at://{self.did}/app.bsky.graph.follow/{key}"

        def list_follows(self) -> Any:
            for key, subject in list(server.records.items()):
                yield OwnFollow(subject, key, self._uri(key))

        def get_follow(self, key: str) -> Any:
            server.lookups += 1
            subject = server.records.get(key)
            return None if subject is None else OwnFollow(subject, key, self._uri(key))

        def follow_many(self, requests: Any) -> list[Any]:
            points = len(requests) * BLUESKY_WRITE_COSTS["create"]
            self.rate_budget("write").spend(points)
            server.calls += 1
            allowed, headers = server.limiter.hit(points, clock.now)
            observation = bluesky_observation(headers)
            if observation is not None:
                self.rate_budget("write").observe(observation)
            if not allowed:
                server.rejected += 1
                server.points_refused += points
                server.refused_by.append(headers["ratelimit-policy"])
                reset = datetime.fromtimestamp(int(headers["ratelimit-reset"]), UTC)
                raise RateLimited(reset, max(reset.timestamp() - clock.now, 0.0))
            server.points_accepted += points
            for request in requests:
                server.records[request.key] = request.subject
            return [
                FollowResult(r.subject, FollowStatus.FOLLOWED, r.key, self._uri(r.key))
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

    return SimulatedBluesky()


def simulation(hours: float = SIMULATED_HOURS, follows: int = 30_000) -> dict[str, Any]:
    """`hours` of a real migration job on the job engine against the simulated PDS: each
    iteration is one `envol.jobs.runner.step` (claim, `follow_step`, outcome stored), the
    simulated clock moving by the calls made and jumping to the job's `due_at` when it parks
    (`waiting_rate_limit`). The job starts with `published_limits: false`: it knows the
    server's limits only from the headers. Every 6 hours a restart: a fresh adapter and step
    context (nothing kept in memory), the budget read back from `AccountBudgets`. The backlog
    (3 points a follow) outlasts the allowance, so the whole allowance can be used."""
    from envol.jobs.runner import step
    from envol.migration import services
    from envol.migration.tests.conftest import accepted_import
    from envol.networks.ratelimit import BLUESKY_WRITE_POLICIES
    from envol.orgs.models import ConnectedAccount
    from envol.orgs.services import create_organisation

    server, clock = SimulatedServer(), SimulatedClock()
    org = create_organisation(f"sim-{secrets.token_hex(3)}", "Simulation")
    account = ConnectedAccount.objects.create(
        organisation=org, network="bluesky", handle="sim.test", remote_id=random_did()
    )
    archive = accepted_import(org, "bluesky", [random_did() for _ in range(follows)])
    job = services.create_job(
        org, archive.pk, account, "bluesky", options={"published_limits": False}
    )
    job.due_at = clock()  # the engine's due time on the simulated clock
    job.save(update_fields=["due_at"])

    start, end = clock.now, clock.now + hours * 3600
    context: dict[str, Any] = {"network": simulated_bluesky(server, clock)}
    restarted_at, steps, restarts, waits = clock.now, 0, 0, 0
    while clock.now < end:
        if clock.now - restarted_at >= RESTART_EVERY_S:
            context = {"network": simulated_bluesky(server, clock)}
            restarted_at, restarts = clock.now, restarts + 1
        calls_before = server.calls
        stepped = step(job, clock=clock, context=context)
        steps += 1
        clock.now += max(CALL_SECONDS * (server.calls - calls_before), STEP_SECONDS)
        job.refresh_from_db()
        if not job.is_runnable:
            break
        if job.due_at is not None and job.due_at.timestamp() > clock.now:
            waits += 1
            clock.now = min(job.due_at.timestamp(), end)
        elif not stepped.ran:
            raise RuntimeError(f"the job did not step: {stepped}")
    simulated_hours = (clock.now - start) / 3600
    allowed = min(
        p.limit * math.ceil(simulated_hours * 3600 / p.window_s) for p in BLUESKY_WRITE_POLICIES
    )
    result: dict[str, Any] = {
        "hours": simulated_hours,
        "state": job.state,
        "follows_done": job.count_done,
        "records_on_server": len(server.records),
        "calls": server.calls,
        "calls_counted_by_job": job.calls,
        "job_steps": steps,
        "parked": waits,
        "restarts": restarts,
        "reconciliation_lookups": server.lookups,
        "points_used": server.points_accepted,
        "points_refused": server.points_refused,
        "points_allowed": allowed,
        "share_used": server.points_accepted / allowed,
        "rejected_calls": server.rejected,
        "refused_by": server.refused_by,
        # A 429 from a window the job had already been told of (by headers or an earlier 429)
        "repeated_429s": server.rejected - len(set(server.refused_by)),
    }
    assert job.count_done == len(server.records), result  # never a follow twice, none lost
    print(
        f"{simulated_hours:.1f}-h run of the real job code (engine step, follow_step, Bluesky "
        f"driver, account budget) against a simulated PDS, limits learned from its headers: "
        f"{job.count_done:,} follows in {server.calls} calls ({steps} steps, {waits} parked, "
        f"{restarts} restarts), {server.points_accepted:,} of {allowed:,} points = "
        f"{100 * result['share_used']:.1f} % of the allowance (bar ≥ 95 %), "
        f"{server.rejected} calls answered 429 {server.refused_by} (bar: none from a window "
        f"already learned: {result['repeated_429s']})"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument(
        "--simulated-hours", type=float, default=SIMULATED_HOURS, help="of the rate simulation"
    )
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
    os.environ["ENVOL_ALLOW_PRIVATE_NETWORKS"] = "true"  # the PDS listens on a loopback port
    os.environ["DJANGO_SETTINGS_MODULE"] = "envol.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from envol.testing.pds import PdsServer

    call_command("migrate", verbosity=0)
    counter = RequestCounter()
    load_before = load_average()
    with PdsServer.start(rate_limits=False) as pds:
        warm = BareLoop(pds)  # the PDS's first writes (JIT, caches) belong to no side
        warm.calls(2)
        warm.close()
        rounds = [paired_round(pds, args.follows, counter) for _ in range(args.rounds)]
    ratios = [one.ratio for one in rounds]
    requests = [one.requests for one in rounds]
    for number, one in enumerate(rounds, 1):
        print(
            f"round {number}: bare {args.follows / one.bare_seconds:,.0f} follows/s, envol "
            f"{args.follows / one.envol_seconds:,.0f} follows/s, ratio {one.ratio:.3f}"
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
        "bare_seconds": [one.bare_seconds for one in rounds],
        "envol_seconds": [one.envol_seconds for one in rounds],
        "paired_ratios": ratios,
        "requests_per_follow": per_follow,
        "job_48h_simulated": simulation(args.simulated_hours),
        "load_before": load_before,
        "load_after": load_average(),
    }
    model = figures["job_48h_simulated"]
    bars = {
        "throughput_ratio_median_paired": at_least(RATIO_BAR, median(ratios)),
        "requests_per_follow": at_most(0.01, per_follow),
        "job_48h_share_of_allowance": at_least(0.95, model["share_used"]),
        "job_48h_repeated_429s": at_most(0, model["repeated_429s"]),
    }
    return report("migration", figures, bars)


if __name__ == "__main__":
    sys.exit(main())
