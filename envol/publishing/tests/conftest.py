"""What the desk's tests share: an organisation with one Bluesky account to post to."""

from __future__ import annotations

import pytest

from envol.orgs.models import ConnectedAccount, Network, Organisation
from envol.orgs.services import create_organisation


@pytest.fixture
def org(db: None) -> Organisation:
    org = create_organisation("brest", "Brest")
    ConnectedAccount.objects.create(organisation=org, network=Network.BLUESKY, handle="b.test")
    return org
