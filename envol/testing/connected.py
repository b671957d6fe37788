"""Connected accounts on the local test servers, for tests and the sandbox."""

from __future__ import annotations

from envol.orgs.models import ConnectedAccount, Network, Organisation


def mastodon_connected(
    org: Organisation, instance_url: str, domain: str, username: str, account_id: str, token: str
) -> ConnectedAccount:
    """A Mastodon account as the OAuth flow would leave it (the flow has its own tests)."""
    account, _created = ConnectedAccount.objects.update_or_create(
        organisation=org,
        network=Network.MASTODON,
        handle=f"{username}@{domain}",
        defaults={"remote_id": account_id, "instance_url": instance_url},
    )
    account.set_credentials({"access_token": token})
    account.save()
    return account
