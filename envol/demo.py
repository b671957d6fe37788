"""Demo data for `envol demo`: an X archive, a crosswalk and matches wired to the sandbox, so a
newcomer can walk the whole path — import, review matches, migrate follows, publish — without a
real account. Everything goes through the apps' services, exactly as a user's actions would.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from envol.archives.x_records import RelationKind
from envol.crosswalk.dataset import COLUMNS as DATASET_COLUMNS
from envol.orgs.models import Organisation
from envol.portability.models import ArchiveImport
from envol.testing.sandbox import Sandbox
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

DEMO_SOURCE = "demo"
SPEC = ArchiveSpec(seed=2026, tweets=80, following=40, followers=25)
# Partners found with high confidence (accepted automatically), then two left for review.
CONFIDENCES = [0.95, 0.95, 0.95, 0.95, 0.7, 0.6]


def seed_demo_portability(org: Organisation, sandbox: Sandbox | None) -> ArchiveImport:
    """Import the demo archive once; link its first followed accounts to the sandbox partners."""
    from envol.crosswalk.matching import compute_matches
    from envol.crosswalk.services import import_dataset
    from envol.portability.services import import_archive

    folder = Path(settings.DATA_DIR) / "demo"
    folder.mkdir(exist_ok=True)
    factory = XArchiveFactory(SPEC)
    existing = org.archive_imports.filter(state=ArchiveImport.State.DONE).first()
    if existing is None:
        archive = folder / "twitter-archive-demo.zip"
        factory.write_zip(archive)
        existing = import_archive(org, archive)
    if sandbox is not None:
        dataset = folder / "crosswalk-demo.csv"
        _write_dataset(dataset, factory.relation_ids(RelationKind.FOLLOWING), sandbox)
        import_dataset(dataset, DEMO_SOURCE)
        for network in ("bluesky", "mastodon"):
            compute_matches(existing, network)
    seed_demo_history(org, existing)
    return existing


def seed_demo_history(org: Organisation, archive_import: ArchiveImport) -> None:
    """Build and publish the demo archive's site once (at /<org>/archive/)."""
    from envol.history import services as history

    site = history.site_of(org)
    if site.build_folder:
        return
    history.configure(
        site, archive_import=archive_import, lang="fr", colour=site.colour, actor=None
    )
    site = history.run_build(site)
    history.set_published(site, True, actor=None)


def plan_demo_history(org: Organisation, archive_import: ArchiveImport) -> list[str]:
    """The planner of a history migration of the demo archive to the organisation's Bluesky
    account (the sandbox's), as `envol history plan` prints it; nothing is sent."""
    from envol.history import move_texts, moving
    from envol.orgs.models import ConnectedAccount

    account = ConnectedAccount.objects.filter(organisation=org, network="bluesky").first()
    if account is None:
        return []
    try:
        plan = moving.plan(org, archive_import.pk, account, moving.Choice())
    except moving.HistoryMoveError as exc:
        return [str(exc)]
    return move_texts.plan_lines(plan)


def _write_dataset(path: Path, followed: list[str], sandbox: Sandbox) -> None:
    bluesky = sandbox.partners("bluesky")
    mastodon = sandbox.partners("mastodon")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(DATASET_COLUMNS)
        for index, (x_id, confidence) in enumerate(zip(followed, CONFIDENCES, strict=False)):
            blue = bluesky[index] if index < len(bluesky) else None
            masto = mastodon[index] if index < len(mastodon) else None
            writer.writerow(
                [
                    x_id,
                    "",
                    blue.handle if blue else "",
                    blue.did if blue else "",
                    masto.handle if masto else "",
                    "envol demo data",
                    confidence,
                ]
            )


def seed_demo_insights(org: Organisation) -> None:
    """The brief's flood campaign, from generated exports of the four platforms (re-importing
    updates, so running the demo again changes nothing)."""
    from envol.insights.services import import_export, save_campaign
    from envol.testing import analytics_exports as exports

    folder = Path(settings.DATA_DIR) / "demo" / "insights"
    for path in exports.flood_exports(folder, "fr"):
        import_export(org, path)
    save_campaign(
        org,
        "Crue de la Vilaine",
        starts_on=exports.FLOOD_START,
        ends_on=exports.FLOOD_END,
        tags=[exports.FLOOD_TAG],
    )


DESK_EDITOR_EMAIL = "redaction@envol.test"


def seed_demo_desk(org: Organisation, reviewer_email: str) -> bool:
    """The desk's posts (drafts, one waiting for the demo user's review, one scheduled, one
    published), written by a second member so the demo user can approve. Needs a connected
    account (the sandbox's); False when nothing was made."""
    from envol.orgs.models import ConnectedAccount, Membership, Role
    from envol.orgs.services import add_member
    from envol.publishing.demo import seed_desk

    accounts = list(
        ConnectedAccount.objects.filter(organisation=org, status=ConnectedAccount.Status.OK)
        .exclude(network="x")
        .order_by("network")
    )
    if not accounts:
        return False
    editor = add_member(org, DESK_EDITOR_EMAIL, Role.EDITOR).user
    reviewer = Membership.objects.get(organisation=org, user__email=reviewer_email).user
    return seed_desk(org, editor, reviewer, accounts) is not None
DEMO_FEED = "relays/demo-feed.xml"
DEMO_FIRST_POLL = timedelta(seconds=15)


def seed_demo_relay(org: Organisation, base_url: str) -> Any:
    """One RSS relay from the demo feed (served by envol itself) to the sandbox accounts,
    relaying its last two items at the first poll; once (None when it exists or nothing is
    connected)."""
    from envol.relays import services as relays

    url = f"{base_url.rstrip('/')}/{settings.STATIC_URL.strip('/')}/{DEMO_FEED}"
    targets = relays.connectable_accounts(org)
    if not targets or org.relays.filter(source=url).exists():
        return None
    relay = relays.create(
        org,
        "rss",
        url,
        [(account, "") for account in targets],
        resolved=({"url": url}, "Actualités de la ville de démonstration"),
        backfill=2,
        max_age_hours=24 * 365 * 10,
    )
    # The feed is served by the server that starts after this: the first poll waits for it.
    relays.poll_soon(relay, timezone.now() + DEMO_FIRST_POLL)
    return relay
