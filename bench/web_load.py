"""The web under load: every main page's latency against /healthz, measured in the same run.

    python bench/web_load.py [--db sqlite,postgres] [--rows 5000000] [--seconds 20]
                             [--clients 20] [--cache DIR]

For each database (SQLite, the embedded default; PostgreSQL, a cluster of its own with
PostgreSQL's durable defaults) on a fresh data directory: the P1 archive (200k tweets, 100k
following, 100k followers, as bench/archive_import.py) is imported with `envol archive import`,
a crosswalk of `--rows` rows (which knows 95 % of the accounts followed) with `envol crosswalk
import`, the matches computed for both networks (≥ 80k on Bluesky); the public page is
published. Then `envol serve` (one uvicorn process, as the embedded mode runs) answers `wrk`
(Debian's HTTP load generator, in C: a Python client would take the CPU the server needs on a
2-core machine), signed in as a member: `--clients` connections for `--seconds` on each of
/healthz, the dashboard, the imports, the matches (first page, and a filtered page: Bluesky,
to review), the migration page and the public page, one page after the other. Latencies p50,
p95 and p99 of each page and its p95's ratio to /healthz's. Bar: that ratio ≤ 5 on every page,
on both databases. Any answer other than 200 fails the bench. One JSON line ends the output.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envol.testing.bench import Bar, at_least, at_most, load_average, report

RATIO_BAR = 5.0
MIN_SHARE_MATCHED = 0.8  # of the accounts followed: 80k of the P1 archive's 100k
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
CONFIDENCES = (0.95, 0.8, 0.6, 0.7, 0.92, 0.55, 0.4, 0.98, 0.85, 0.65)
PAGES = {
    "healthz": "/healthz",
    "dashboard": "/o/bench/",
    "imports": "/o/bench/imports/",
    "matches": "/o/bench/matches/",
    "matches_filtered": "/o/bench/matches/?network=bluesky&band=review",
    "migration": "/o/bench/migration/",
    "public": "/bench/",
}
EMAIL, PASSWORD = "bench@envol.test", "bench-password-12345"
# wrk reports p50…p99.999 only through a script: this one prints them, in µs, as JSON.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "errors_status": %d, "errors_other": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def crosswalk_file(path: Path, rows: int, following: list[str]) -> None:
    """`rows` rows: the accounts followed (95 % of them, nine in ten of those at a confidence
    that matches — automatic or to review — one in five on Mastodon too), then random ids."""
    rnd = random.Random(13)
    known = following[: int(len(following) * 0.95)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["x_id", "x_handle", "bluesky_did", "mastodon_account", "confidence"])
        for i in range(rows):
            x_id = known[i] if i < len(known) else str(rnd.randrange(10**12, 2 * 10**18))
            did = "did:plc:" + "".join(rnd.choices(BASE32, k=24))
            masto = f"u{i}@instance{i % 997}.social" if i % 5 == 0 else ""
            confidence = CONFIDENCES[i % len(CONFIDENCES)]
            writer.writerow([x_id, f"u{i}"[:15] if i % 3 else "", did, masto, confidence])


class Envol:
    """`envol` commands on one data directory and database."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.env = {**os.environ, "ENVOL_DATA_DIR": str(data_dir), "ENVOL_LANGUAGE": "en"}
        self.env["ENVOL_SECRET_KEY"] = "bench-" * 8
        if database_url:
            self.env["ENVOL_DATABASE_URL"] = database_url
        else:
            self.env.pop("ENVOL_DATABASE_URL", None)

    def run(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "envol", *args],
            env=self.env,
            input=stdin,
            text=True,
            check=True,
            stdout=subprocess.PIPE,
        )
        return done.stdout

    def python(self, code: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code],
            env={**self.env, "DJANGO_SETTINGS_MODULE": "envol.settings"},
            text=True,
            check=True,
            stdout=subprocess.PIPE,
        ).stdout


SETUP = """
from envol.orgs.models import Organisation
from envol.leaving.services import page_of
from envol.portability.models import ArchiveImport, Relation
org = Organisation.objects.get(slug="bench")
page = page_of(org)
page.published = True
page.save()
archive = ArchiveImport.objects.get(organisation=org)
ids = Relation.objects.filter(source_account=archive.source_account, kind="following")
print(archive.pk)
print("\\n".join(ids.values_list("remote_id", flat=True)))
"""

SESSION = """
from django.test import Client
client = Client()
assert client.login(username="bench@envol.test", password="bench-password-12345")
print(client.cookies["sessionid"].value)
"""


def prepare(envol: Envol, archive: Path, work: Path, rows: int) -> dict[str, Any]:
    started = time.perf_counter()
    envol.run("manage", "migrate", "-v0")
    envol.run("org", "create", "bench", "--name", "Bench")
    envol.run("user", "create", EMAIL, "--org", "bench", "--role", "admin", stdin=PASSWORD)
    envol.run("archive", "import", str(archive), "--org", "bench", "--json")
    import_id, *following = envol.python(SETUP).split()
    dataset = work / "crosswalk.csv"
    crosswalk_file(dataset, rows, following)
    envol.run("crosswalk", "import", str(dataset), "--source", "bench", "--json")
    dataset.unlink()
    matched = {}
    for network in ("bluesky", "mastodon"):
        out = envol.run("match", "--import", import_id, "--network", network, "--json")
        matched[network] = json.loads(out)["matched"]
    print(f"prepared in {time.perf_counter() - started:.0f} s: matches {matched}", flush=True)
    return {"matched": matched, "session": envol.python(SESSION).strip()}


def serve(envol: Envol, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "envol", "serve", "--port", str(port), "--no-worker"],
        env=envol.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("envol serve did not start")


def load(url: str, session: str, seconds: int, clients: int, script: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            *("wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s"),
            *("-s", str(script), "-H", f"Cookie: sessionid={session}"),
            *("-H", "Accept-Language: en", url),
        ],
        text=True,
        check=True,
        stdout=subprocess.PIPE,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure_database(
    db: str, args: argparse.Namespace, archive: Path, work: Path
) -> tuple[dict[str, Any], dict[str, Bar]]:
    from envol.testing.postgres import PostgresCluster, free_port

    cluster = PostgresCluster.start(durable=True) if db == "postgres" else None
    data_dir = work / db
    data_dir.mkdir()
    server = None
    try:
        envol = Envol(data_dir, cluster.url if cluster else None)
        prepared = prepare(envol, archive, work, args.rows)
        port = free_port()
        server = serve(envol, port)
        script = work / "report.lua"
        script.write_text(WRK_SCRIPT)
        pages: dict[str, Any] = {}
        for name, path in PAGES.items():
            check = httpx.get(
                f"http://127.0.0.1:{port}{path}", cookies={"sessionid": prepared["session"]}
            )
            if check.status_code != 200:
                raise RuntimeError(f"{path} answered {check.status_code}")
            pages[name] = load(
                f"http://127.0.0.1:{port}{path}",
                prepared["session"],
                args.seconds,
                args.clients,
                script,
            )
            print(f"[{db}] {name:17} {json.dumps(pages[name])}", flush=True)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if cluster is not None:
            cluster.stop()
    base = pages["healthz"]["p95_us"]
    bars: dict[str, Bar] = {
        f"{db}_bluesky_matches": at_least(
            int(MIN_SHARE_MATCHED * args.following), prepared["matched"]["bluesky"]
        ),
    }
    for name, measured in pages.items():
        measured["p95_to_healthz"] = measured["p95_us"] / base
        failed = measured["errors_status"] + measured["errors_other"]
        if name != "healthz":
            bars[f"{db}_{name}_p95_to_healthz"] = at_most(RATIO_BAR, measured["p95_to_healthz"])
        if failed:
            bars[f"{db}_{name}_failed_requests"] = at_most(0, failed)
    return {"matched": prepared["matched"], "pages": pages}, bars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--tweets", type=int, default=200_000)
    parser.add_argument("--following", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, help="keep the generated archive here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: `apt-get install wrk` (make bench installs it as root)")
        return 1
    from archive_import import generate, p1_spec

    work = Path(tempfile.mkdtemp(prefix="envol-bench-web-"))
    try:
        spec = p1_spec(args.tweets, args.following, args.following)
        cache = args.cache or work
        cache.mkdir(parents=True, exist_ok=True)
        archive = generate(spec, cache)
        figures: dict[str, Any] = {"load_before": load_average(), "rows": args.rows}
        bars: dict[str, Bar] = {}
        for db in args.db.split(","):
            figures[db], found = measure_database(db, args, archive, work)
            bars |= found
        figures["load_after"] = load_average()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report("web_load", figures, bars)


if __name__ == "__main__":
    sys.exit(main())
