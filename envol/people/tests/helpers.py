"""People for the tests: personal spaces opened through the sign-in service, archives made by
the project's factory and imported through the ordinary import."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

from django.test import override_settings

from envol.archives.x_records import RelationKind
from envol.orgs.models import ConnectedAccount, Organisation
from envol.people import services
from envol.portability.services import import_archive
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

_seeds = itertools.count(100)


def did_for(n: int) -> str:
    return "did:plc:" + f"{n:024d}".translate(str.maketrans("0123456789", "abcdefghij"))


@override_settings(ENVOL_SIGNUP="open")
def person(handle: str, did: str) -> tuple[Any, Organisation, ConnectedAccount]:
    """Someone who signed in with Bluesky: (user, space, connected account)."""
    identity = services.NetworkIdentity("bluesky", did, handle, "https://pds.example")
    user = services.sign_in(identity)
    space = services.person_space_of(user)
    assert space is not None
    return user, space, ConnectedAccount.objects.get(organisation=space)


def archive_for(
    space: Organisation,
    folder: Path,
    *,
    x_id: str | None = None,
    following: int = 5,
    followers: int = 3,
    seed: int | None = None,
) -> XArchiveFactory:
    """Import an archive of `x_id` (or the factory's) into `space`, then what a person's upload
    task does after it (their matches, their consented links)."""
    factory = XArchiveFactory(
        ArchiveSpec(
            seed=seed if seed is not None else next(_seeds),
            tweets=3,
            following=following,
            followers=followers,
        )
    )
    if x_id is not None:
        factory.account = dataclasses.replace(factory.account, id=x_id)
    path = folder / f"{space.slug}.zip"
    factory.write_zip(path)
    import_archive(space, path)
    services.after_import(space)
    return factory


def followed_by(factory: XArchiveFactory, index: int = 0) -> str:
    return factory.relation_ids(RelationKind.FOLLOWING)[index]


def follower_of(factory: XArchiveFactory, index: int = 0) -> str:
    return factory.relation_ids(RelationKind.FOLLOWER)[index]
