"""A real Bluesky PDS (npm `@atproto/pds`) on 127.0.0.1, for tests, benchmarks and the sandbox.

The npm install lives in a per-machine cache (`make testservers`, see
testservers/bluesky/install.sh); this module finds it, runs testservers/bluesky/server.mjs with its
Node 22 and talks to it over plain XRPC. `restart()` keeps the data folder and the ports: accounts,
records and sessions survive, the in-memory rate-limit counters start afresh.

Given a PostgreSQL database (`appview_db`), the same process also runs the real Bluesky AppView
(`@atproto/bsky`), which indexes the PDS's firehose and answers the app.bsky.* reads the PDS
proxies to it; `envol/testing/appview.py` builds a whole network on that.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from envol.testing.clock_env import server_environment

SERVER_SOURCE_DIR = Path(__file__).resolve().parents[2] / "testservers" / "bluesky"
INSTALLED_MARKER = ".envol-installed"
HANDLE_DOMAIN = ".test"
# The PDS accepts a handle's first label of 3 to 18 characters; we append "-" and 6 hex digits.
_HANDLE_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,10}$")
_STOP_GRACE_SECONDS = 10.0


class PdsNotInstalledError(RuntimeError):
    """The npm install of the test server is missing: `make testservers` creates it."""


class PdsStartError(RuntimeError):
    """The server process exited or stayed silent instead of announcing it was ready."""


class PdsRequestError(RuntimeError):
    """An XRPC call answered with an error status."""

    def __init__(self, nsid: str, response: httpx.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        self.status = response.status_code
        self.error = str(body.get("error", ""))
        self.message = str(body.get("message", response.text[:200]))
        super().__init__(f"{nsid}: HTTP {self.status} {self.error}: {self.message}")


@dataclass(frozen=True)
class TestAccount:
    """An account created on the test PDS, with the password and a fresh session."""

    __test__ = False  # not a pytest test class

    handle: str
    password: str
    email: str
    did: str
    access_jwt: str
    refresh_jwt: str


def install_key() -> str:
    """The cache key install.sh uses: a hash of the pinned package.json and lockfile."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((SERVER_SOURCE_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def install_dir() -> Path:
    """Where `make testservers` puts the npm install (ENVOL_PDS_INSTALL_DIR overrides)."""
    override = os.environ.get("ENVOL_PDS_INSTALL_DIR")
    if override:
        return Path(override)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "envol" / f"pds-{install_key()}"


def require_install() -> Path:
    """The install folder, or a PdsNotInstalledError that says what to run."""
    if not (SERVER_SOURCE_DIR / "server.mjs").is_file():
        raise PdsNotInstalledError(
            f"The Bluesky test server sources are missing ({SERVER_SOURCE_DIR}): "
            "run envol from a clone of the repository."
        )
    folder = install_dir()
    marker = folder / INSTALLED_MARKER
    key = install_key()
    if not marker.is_file() or marker.read_text().strip() != key:
        raise PdsNotInstalledError(
            f"The Bluesky test server (npm @atproto/pds) is not installed in {folder}: "
            "run `make testservers` (about 2 minutes, once per machine)."
        )
    return folder


def _child_environment(modules_dir: Path) -> dict[str, str]:
    # The server sets every PDS_* variable itself and takes the AppView's database as a flag;
    # stray ones from the shell must not leak in.
    stray = ("PDS_", "LOG_", "ENVOL_APPVIEW_")
    env = server_environment({k: v for k, v in os.environ.items() if not k.startswith(stray)})
    env["ENVOL_PDS_MODULES_DIR"] = str(modules_dir)
    return env


class PdsServer:
    """One PDS and its PLC directory in a node process; `PdsServer.start()` launches one."""

    def __init__(
        self,
        data_dir: Path,
        *,
        rate_limits: bool,
        owns_data_dir: bool,
        appview_db: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.rate_limits = rate_limits
        self.appview_db = appview_db
        self._owns_data_dir = owns_data_dir
        self._modules_dir = require_install()
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._ready: dict[str, Any] = {}

    @classmethod
    def start(
        cls,
        rate_limits: bool = False,
        *,
        data_dir: Path | None = None,
        pds_port: int = 0,
        plc_port: int = 0,
        appview_db: str | None = None,
        appview_port: int = 0,
        timeout: float = 60.0,
    ) -> PdsServer:
        """Launch a server (data in `data_dir`, else in a temporary folder removed on stop).

        Ports 0 pick free ones; a kept `data_dir` needs the same `pds_port` on every start,
        since the PDS's URL, port included, is written into its accounts' DID documents.
        `appview_db` (a PostgreSQL URL) adds the AppView, which catches up with the PDS's
        whole history at each start, so a fresh database is fine.
        """
        owns = data_dir is None
        folder = Path(tempfile.mkdtemp(prefix="envol-pds-")) if data_dir is None else data_dir
        folder.mkdir(parents=True, exist_ok=True)
        try:
            server = cls(folder, rate_limits=rate_limits, owns_data_dir=owns, appview_db=appview_db)
            server._launch(
                pds_port=pds_port, plc_port=plc_port, appview_port=appview_port, timeout=timeout
            )
        except BaseException:
            if owns:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    @property
    def url(self) -> str:
        return str(self._ready["pds_url"])

    @property
    def plc_url(self) -> str:
        return str(self._ready["plc_url"])

    @property
    def admin_password(self) -> str:
        return str(self._ready["admin_password"])

    @property
    def appview_url(self) -> str | None:
        """The AppView's URL when this server runs one, else None (app.bsky.* reads give 502)."""
        url = self._ready.get("appview_url")
        return str(url) if url else None

    @property
    def appview_did(self) -> str | None:
        did = self._ready.get("appview_did")
        return str(did) if did else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def _launch(self, *, pds_port: int, plc_port: int, appview_port: int, timeout: float) -> None:
        node = self._modules_dir / "node_modules" / ".bin" / "node"
        command = [
            str(node),
            str(SERVER_SOURCE_DIR / "server.mjs"),
            str(self.data_dir),
            "--pds-port",
            str(pds_port),
            "--plc-port",
            str(plc_port),
            "--rate-limits" if self.rate_limits else "--no-rate-limits",
            *(
                ["--appview-db", self.appview_db, "--appview-port", str(appview_port)]
                if self.appview_db
                else []
            ),
            # The server stops when our end of its stdin closes, i.e. when this process dies.
            "--exit-on-stdin-close",
        ]
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=_child_environment(self._modules_dir),
            cwd=self.data_dir,
        )
        self._ready = self._wait_until_ready(timeout)

    def _wait_until_ready(self, timeout: float) -> dict[str, Any]:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_path.read_bytes().splitlines():
                if line.startswith(b"{"):
                    try:
                        announced = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(announced, dict) and "pds_url" in announced:
                        return announced
            if self._process.poll() is not None:
                self._close_process_handles()
                raise PdsStartError(
                    f"The Bluesky test server exited with code {self._process.returncode}; "
                    f"its output ({self.log_path}):\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                self._terminate(hard=True)
                raise PdsStartError(
                    f"The Bluesky test server was not ready after {timeout:.0f} s; "
                    f"its output ({self.log_path}):\n{self._log_tail()}"
                )
            time.sleep(0.02)

    def _log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _terminate(self, *, hard: bool) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            if hard:
                process.kill()
            else:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(_STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_process_handles()

    def _close_process_handles(self) -> None:
        if self._process is not None and self._process.stdin is not None:
            self._process.stdin.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def restart(
        self,
        *,
        hard: bool = False,
        timeout: float = 60.0,
        while_stopped: Callable[[], None] | None = None,
    ) -> None:
        """Stop (SIGKILL if `hard`, else SIGTERM) and start again on the same data and ports,
        calling `while_stopped` in between."""
        pds_port, plc_port = int(self._ready["pds_port"]), int(self._ready["plc_port"])
        appview_port = int(self._ready.get("appview_port") or 0)
        self._terminate(hard=hard)
        if while_stopped is not None:
            while_stopped()
        self._launch(
            pds_port=pds_port, plc_port=plc_port, appview_port=appview_port, timeout=timeout
        )

    def stop(self) -> None:
        """Stop the server; a temporary data folder made by `start()` is removed."""
        self._terminate(hard=False)
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> PdsServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self, account: TestAccount | None = None, **options: Any) -> httpx.Client:
        """An httpx client on the PDS, signed in as `account` when given."""
        headers = {"Authorization": f"Bearer {account.access_jwt}"} if account else {}
        options.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.url, headers=headers, **options)

    def create_account(self, handle_prefix: str = "user") -> TestAccount:
        """A new account `<prefix>-<6 hex>.test` with a random password, signed in."""
        if not _HANDLE_PREFIX.match(handle_prefix):
            raise ValueError(
                f"handle prefix {handle_prefix!r}: 1 to 11 characters, lowercase letters, "
                "digits and '-', starting with a letter"
            )
        with self.client() as http:
            for _attempt in range(3):
                handle = f"{handle_prefix}-{secrets.token_hex(3)}{HANDLE_DOMAIN}"
                password = secrets.token_urlsafe(12)
                email = f"{handle.removesuffix(HANDLE_DOMAIN)}@example.com"
                response = http.post(
                    "/xrpc/com.atproto.server.createAccount",
                    json={"handle": handle, "email": email, "password": password},
                )
                if response.status_code == 200:
                    body = response.json()
                    return TestAccount(
                        handle=body["handle"],
                        password=password,
                        email=email,
                        did=body["did"],
                        access_jwt=body["accessJwt"],
                        refresh_jwt=body["refreshJwt"],
                    )
                error = PdsRequestError("com.atproto.server.createAccount", response)
                if error.error != "HandleNotAvailable":
                    raise error
            raise error
