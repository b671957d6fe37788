"""Connect an organisation to the sandbox's own demo accounts (demo and trials only)."""

from __future__ import annotations

from envol.orgs.accounts import connect_bluesky
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import ConnectedAccount
from envol.orgs.services import get_organisation
from envol.testing.sandbox import Sandbox


def connect_to_sandbox(org_slug: str, sandbox: Sandbox) -> list[ConnectedAccount]:
    org = get_organisation(org_slug)
    connected = []
    bluesky = sandbox.own("bluesky")
    if bluesky is not None and sandbox.pds is not None:
        connected.append(connect_bluesky(org, bluesky.handle, bluesky.password, sandbox.pds.url))
    mastodon = sandbox.own("mastodon")
    if mastodon is not None and sandbox.mastodon is not None:
        connected.append(connect_with_token(org, sandbox.mastodon.url, mastodon.token))
    return connected
