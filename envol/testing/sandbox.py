"""The sandbox: the same local servers as the tests (a real Bluesky PDS and, when PostgreSQL's
server binaries are here, the real Bluesky AppView; the Mastodon API test server) on loopback,
with demo accounts that survive restarts, so that a newcomer can try every flow with no real
account and no network.

State lives under `<data dir>/sandbox/`: the PDS data (fixed ports, since a PDS's URL is written
into its accounts' DID documents), the Mastodon server's JSON state, and `accounts.json` with the
demo credentials (local, throwaway). The AppView keeps nothing: it runs on a throwaway PostgreSQL
cluster and re-reads the PDS's whole history at each start (a second or so for a demo's).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from envol.testing.mastodon import MastodonTestServer
from envol.testing.pds import PdsNotInstalledError, PdsServer
from envol.testing.postgres import PostgresCluster, PostgresUnavailable

PDS_PORT = 2583
PLC_PORT = 2582
APPVIEW_PORT = 2584
MASTODON_PORT = 3000
MASTODON_DOMAIN = "mastodon.test"
ORG_ACCOUNT = "ville-demo"
PARTNERS = ["prefecture", "metropole", "universite", "musee", "bibliotheque", "tourisme"]


@dataclass
class SandboxAccount:
    network: str
    handle: str
    password: str = ""  # Bluesky
    did: str = ""  # Bluesky
    token: str = ""  # Mastodon
    account_id: str = ""  # Mastodon
    partner: str = ""


@dataclass
class Sandbox:
    root: Path
    pds: PdsServer | None = None
    appview_postgres: PostgresCluster | None = None
    mastodon: MastodonTestServer | None = None
    accounts: list[SandboxAccount] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def accounts_file(self) -> Path:
        return self.root / "accounts.json"

    @classmethod
    def start(
        cls,
        data_dir: Path,
        *,
        pds_port: int = PDS_PORT,
        plc_port: int = PLC_PORT,
        mastodon_port: int = MASTODON_PORT,
        appview_port: int | None = APPVIEW_PORT,
    ) -> Sandbox:
        """Start the servers; `appview_port` None leaves the Bluesky AppView out."""
        root = data_dir / "sandbox"
        root.mkdir(parents=True, exist_ok=True)
        sandbox = cls(root)
        if sandbox.accounts_file.exists():
            sandbox.accounts = [
                SandboxAccount(**a) for a in json.loads(sandbox.accounts_file.read_text())
            ]
        if appview_port is not None:
            sandbox.appview_postgres = sandbox._appview_database()
        try:
            sandbox.pds = PdsServer.start(
                data_dir=root / "pds",
                pds_port=pds_port,
                plc_port=plc_port,
                appview_db=sandbox.appview_postgres.url if sandbox.appview_postgres else None,
                appview_port=appview_port or 0,
            )
        except PdsNotInstalledError as exc:
            sandbox.problems.append(f"Bluesky: {exc}")
            sandbox.stop()
        except BaseException:
            sandbox.stop()
            raise
        sandbox.mastodon = MastodonTestServer.start(
            MASTODON_DOMAIN, port=mastodon_port, state_path=root / "mastodon.json"
        )
        sandbox._ensure_accounts()
        return sandbox

    def _appview_database(self) -> PostgresCluster | None:
        try:
            return PostgresCluster.start()
        except PostgresUnavailable as exc:
            self.problems.append(
                f"Bluesky AppView not started (profiles, counts and feeds answer 502): {exc}"
            )
            return None

    def _ensure_accounts(self) -> None:
        known = {(a.network, a.partner) for a in self.accounts}
        for partner in ["", *PARTNERS]:
            name = partner or ORG_ACCOUNT
            if self.pds is not None and ("bluesky", partner) not in known:
                created = self.pds.create_account(name[:11])
                self.accounts.append(
                    SandboxAccount(
                        "bluesky", created.handle, created.password, created.did, partner=partner
                    )
                )
            if self.mastodon is not None and ("mastodon", partner) not in known:
                username = name.replace("-", "")
                account, token = self.mastodon.create_account(username)
                self.accounts.append(
                    SandboxAccount(
                        "mastodon",
                        f"{username}@{MASTODON_DOMAIN}",
                        token=token,
                        account_id=str(account["id"]),
                        partner=partner,
                    )
                )
        self.accounts_file.write_text(json.dumps([asdict(a) for a in self.accounts], indent=1))
        self.accounts_file.chmod(0o600)
        if self.mastodon is not None:
            self.mastodon.auto_approve(ORG_ACCOUNT.replace("-", ""))

    def own(self, network: str) -> SandboxAccount | None:
        return next((a for a in self.accounts if a.network == network and not a.partner), None)

    def partners(self, network: str) -> list[SandboxAccount]:
        return [a for a in self.accounts if a.network == network and a.partner]

    def describe(self) -> dict[str, Any]:
        return {
            "bluesky_pds": self.pds.url if self.pds else None,
            "bluesky_appview": self.pds.appview_url if self.pds else None,
            "mastodon": self.mastodon.url if self.mastodon else None,
            "accounts": [asdict(a) for a in self.accounts],
            "problems": self.problems,
        }

    def stop(self) -> None:
        if self.mastodon is not None:
            self.mastodon.stop()
        if self.pds is not None:
            self.pds.stop()
            self.pds = None
        if self.appview_postgres is not None:
            self.appview_postgres.stop()
            self.appview_postgres = None
