"""Demo data for `envol demo`: an X archive, a crosswalk and matches wired to the sandbox, so a
newcomer can walk the whole path — import, review matches, migrate follows, publish — without a
real account. Everything goes through the apps' services, exactly as a user's actions would.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from envol.archives.x_records import RelationKind
from envol.crosswalk.dataset import COLUMNS as DATASET_COLUMNS
from envol.networks.metrics import Platform
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


def seed_demo_insights(org: Organisation, folder: Path | None = None) -> None:
    """The brief's flood campaign, from generated exports of the four platforms; four weeks of
    readings of the Bluesky and Mastodon accounts and a campaign over them (re-importing and
    the readings update, so running the demo again changes nothing)."""
    from envol.insights.services import import_export, save_campaign
    from envol.testing import analytics_exports as exports

    folder = folder or Path(settings.DATA_DIR) / "demo" / "insights"
    for path in exports.flood_exports(folder, "fr"):
        import_export(org, path)
    save_campaign(
        org,
        "Crue de la Vilaine",
        starts_on=exports.FLOOD_START,
        ends_on=exports.FLOOD_END,
        tags=[exports.FLOOD_TAG],
    )
    seed_demo_snapshots(org)
    save_campaign(org, "Semaine du vélo", tags=["Vélo"])


SNAPSHOT_DAYS = 28
DEMO_AUDIENCES = {  # followers on the first day, new followers a day, posts every N days
    "bluesky": (1_180, 14, 2),
    "mastodon": (760, 6, 3),
}
DEMO_TEXTS = [
    "Travaux rue de la Soif : circulation alternée jusqu'à vendredi. #Travaux",
    "Le conseil municipal se réunit jeudi à 18 h, en direct sur le site de la ville.",
    "Inscriptions ouvertes pour les ateliers numériques de la médiathèque. #Médiathèque",
    "Alerte crue : la Vilaine monte, évitez les berges. #CrueVilaine",
    "Nouvelle piste cyclable entre la gare et le port, inaugurée samedi. #Vélo",
    "Marché de producteurs place du Marché, tous les mercredis matin.",
]


def seed_demo_snapshots(org: Organisation, today: date | None = None) -> None:
    """Four weeks of daily readings of the organisation's Bluesky and Mastodon accounts, written
    through the insights services exactly as the snapshot collector writes them: a channel per
    connected account (or per network when none is connected), its posts, each post's counts
    as read each day, the account's followers, following and posts; and short-link clicks per
    network, counted as the redirect counts them. Upserts: running it again changes nothing."""
    from envol.insights import services
    from envol.insights.models import Source
    from envol.networks.metrics import Metric

    today = today or timezone.localdate()
    first = today - timedelta(days=SNAPSHOT_DAYS - 1)
    for platform, (start_followers, daily_gain, every) in DEMO_AUDIENCES.items():
        account = org.accounts.filter(network=platform).order_by("pk").first()
        channel = (
            services.channel_for_account(account)
            if account is not None
            else services.import_channel(org, Platform(platform), f"{org.slug} ({platform})")
        )
        noise = random.Random(f"{org.slug}-{platform}")  # the same figures on every run
        records = [
            _demo_post(platform, account, org.slug, first + timedelta(days=offset), index)
            for index, offset in enumerate(range(0, SNAPSHOT_DAYS, every))
        ]
        post_ids, _new = services.upsert_posts(channel, records)
        finals = {r.remote_id: noise.randint(8, 60) for r in records}
        followers = float(start_followers)
        for offset in range(SNAPSHOT_DAYS):
            day = first + timedelta(days=offset)
            read_at = timezone.make_aware(datetime.combine(day, time(6, 0)))
            followers += daily_gain + noise.randint(-daily_gain // 2, daily_gain)
            published = [r for r in records if r.published_at.date() <= day]
            services.write_channel_values(
                channel,
                [
                    (
                        day,
                        services.measured(
                            platform,
                            {
                                Metric.FOLLOWERS: followers,
                                Metric.FOLLOWING: 140 + offset // 7,
                                Metric.POSTS: 420 + len(published),
                            },
                        ),
                    )
                ],
                source=Source.SNAPSHOT,
                observed_at=read_at,
            )
            services.write_post_values(
                [
                    (
                        post_ids[r.remote_id],
                        day,
                        services.measured(
                            platform,
                            _demo_counts(finals[r.remote_id], (day - r.published_at.date()).days),
                        ),
                    )
                    for r in published
                ],
                source=Source.SNAPSHOT,
                observed_at=read_at,
            )
        _seed_demo_clicks(org, platform, first, noise)


def _demo_post(platform: str, account: Any, slug: str, day: date, index: int) -> Any:
    """A post as the collector reads it: an at:// URI or a status id, and its public address."""
    from envol.insights.exports.parse import PostRecord

    moment = timezone.make_aware(datetime.combine(day, time(9 + index % 8, 30)))
    handle = account.handle if account is not None else f"{slug}.bsky.social"
    if platform == "bluesky":
        did = getattr(account, "remote_id", "") or f"did:plc:{slug.replace('-', '')[:24]:a<24}"
        key = f"3ldemo{index:07d}"
        remote_id = f"at://{did}/app.bsky.feed.post/{key}"
        url = f"https://bsky.app/profile/{handle}/post/{key}"
    else:
        remote_id = str(113_000_000_000_000_000 + index)
        server = getattr(account, "instance_url", "") or "https://mastodon.test"
        url = f"{server.rstrip('/')}/@{handle.split('@')[0]}/{remote_id}"
    return PostRecord(remote_id, moment, url, DEMO_TEXTS[index % len(DEMO_TEXTS)])


def _demo_counts(final_likes: int, age_days: int) -> dict[Any, float]:
    """A post's counts as read `age_days` after it was published: most come in the first days."""
    from envol.networks.metrics import Metric

    grown = 1 - 0.5 ** (age_days + 1)
    likes = round(final_likes * grown)
    shares = round(final_likes * 0.3 * grown)
    comments = round(final_likes * 0.1 * grown)
    return {
        Metric.LIKES: likes,
        Metric.SHARES: shares,
        Metric.COMMENTS: comments,
        Metric.ENGAGEMENTS: likes + shares + comments,
    }


def _seed_demo_clicks(org: Organisation, platform: str, first: date, noise: random.Random) -> None:
    from envol.insights.models import ShortLink
    from envol.insights.shortlinks import count_click, create_link, forget_before

    target = f"{org.website or 'https://www.ville-demo.test'}/agenda"
    if ShortLink.objects.filter(organisation=org, platform=platform, campaign=None).exists():
        return  # clicks add up: seeded once
    link = create_link(org, target, platform=platform)
    for offset in range(SNAPSHOT_DAYS):
        day = first + timedelta(days=offset)
        for visitor in range(noise.randint(0, 6)):
            count_click(link.pk, f"demo-{offset}-{visitor}", day)
    forget_before(first + timedelta(days=SNAPSHOT_DAYS - 1))  # as the redirect does each day


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
