"""The short-link redirect under load, against Django's health view in the same run.

    python bench/shortlinks.py [--clients 50] [--requests 20] [--rounds 3]

Starts `envol serve` (uvicorn, embedded SQLite, no worker) on a fresh data directory, then, in
interleaved rounds (so a burst of load on this shared machine hits both sides), sends from
`--clients` concurrent clients `--requests` requests each to `/healthz` (the baseline: a view
with no database access) and to `/l/<code>` (one indexed lookup and two atomic counting
statements, then a 302). Prints the p95 latency of each and their ratio, then checks that every
redirect was counted exactly once (no lost update under concurrency).
Bars: p95 ratio ≤ 2, clicks lost = 0. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

RATIO_BAR = 2.0
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


async def load(base: str, path: str, clients: int, requests: int) -> list[float]:
    """Latencies (seconds) of `clients` × `requests` GETs, the clients running concurrently."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one_client(index: int) -> None:
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(
                    path,
                    headers={"User-Agent": BROWSER, "X-Forwarded-For": f"192.0.2.{index}"},
                    follow_redirects=False,
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code not in (200, 302):
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")

        await asyncio.gather(*(one_client(i) for i in range(clients)))
    return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="envol-bench-links-"))
    os.environ.update({"ENVOL_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "envol.settings"})
    os.environ.pop("ENVOL_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from envol.insights.models import LinkClickDay
    from envol.insights.shortlinks import create_link
    from envol.orgs.services import create_organisation
    from envol.testing.liveserver import running_envol

    org = create_organisation("bench", "Bench")
    link = create_link(org, "https://example.org/landing", platform="mastodon")
    health: list[float] = []
    redirect: list[float] = []
    with running_envol(["serve", "--no-worker"], data) as base:
        asyncio.run(load(base, "/healthz", 5, 5))  # warm-up: imports, first connections
        asyncio.run(load(base, f"/l/{link.code}", 5, 5))
        warmup_clicks = 25
        for round_number in range(1, args.rounds + 1):
            health += asyncio.run(load(base, "/healthz", args.clients, args.requests))
            redirect += asyncio.run(load(base, f"/l/{link.code}", args.clients, args.requests))
            print(
                f"round {round_number}: health p95 {p95(health) * 1000:.1f} ms, "
                f"redirect p95 {p95(redirect) * 1000:.1f} ms"
            )
    expected = warmup_clicks + args.rounds * args.clients * args.requests
    counted = sum(LinkClickDay.objects.filter(link=link).values_list("clicks", flat=True))
    ratio = p95(redirect) / p95(health)
    lost = expected - counted
    for label, values in (("health view", health), ("redirect", redirect)):
        median = statistics.median(values) * 1000
        print(f"{label + ' p95':<16} {p95(values) * 1000:8.1f} ms  (median {median:.1f} ms)")
    print(f"ratio            {ratio:8.2f}  (bar ≤ {RATIO_BAR})")
    print(f"clicks counted   {counted} of {expected}")
    bars = {
        "p95_ratio": {
            "limit": RATIO_BAR,
            "value": round(ratio, 3),
            "better": "lower",
            "met": ratio <= RATIO_BAR,
        },
        "clicks_lost": {"limit": 0, "value": lost, "better": "lower", "met": lost == 0},
    }
    figures = {
        "clients": args.clients,
        "requests": len(redirect),
        "health_p95_ms": round(p95(health) * 1000, 2),
        "redirect_p95_ms": round(p95(redirect) * 1000, 2),
        "clicks_expected": expected,
        "clicks_counted": counted,
    }
    print(json.dumps({"bench": "shortlinks", "figures": figures, "bars": bars}))
    return 0 if all(bar["met"] for bar in bars.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
