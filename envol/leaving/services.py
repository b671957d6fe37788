"""Leaving X well, callable from the web, the CLI and the tasks alike: the public page and its
channels, the announcement kit, the checklist, the starter pack and the domain handle check.
Other apps use only this module (e.g. the composer calls `announcement_texts`)."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import segno
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from envol.leaving import texts
from envol.leaving.handle_check import HandleCheck, check_domain_handle, domain_of
from envol.leaving.models import (
    AnnouncementDraft,
    AnnouncementKind,
    ChecklistStep,
    ChecklistTick,
    PublicLink,
    PublicPage,
    StarterPack,
    StarterPackMember,
)
from envol.leaving.starter_pack import (
    PackSpec,
    Repository,
    SyncReport,
    sync_pack,
)
from envol.networks.bluesky import new_tid
from envol.orgs.models import ConnectedAccount, Network, Organisation
from envol.orgs.services import RESERVED_SLUGS, OrgError, audit, check_slug

LANGS = ("fr", "en")


class LeavingError(Exception):
    """A user-facing mistake, with what to do."""


# ---------------------------------------------------------------- slugs and the public page


def check_public_slug(slug: str) -> None:
    """Raise LeavingError when `slug` cannot be an organisation's public address."""
    try:
        check_slug(slug)
    except OrgError as exc:
        raise LeavingError(str(exc)) from None


def public_url(org: Organisation) -> str:
    return f"{settings.PUBLIC_URL}/{org.slug}/"


def page_of(org: Organisation) -> PublicPage:
    page, _created = PublicPage.objects.get_or_create(organisation=org)
    return page


def published_page(slug: str) -> PublicPage | None:
    """The page shown at /<slug>/, or None (unknown, reserved or not published: all alike)."""
    if slug.lower() in RESERVED_SLUGS:
        return None
    return (
        PublicPage.objects.select_related("organisation")
        .filter(organisation__slug=slug, published=True)
        .first()
    )


@transaction.atomic
def save_page(page: PublicPage, actor: Any, changed: Sequence[str]) -> None:
    page.save()
    audit(
        "leaving.page_update",
        organisation=page.organisation,
        actor=actor,
        obj=page,
        fields=list(changed),
        published=page.published,
    )


@transaction.atomic
def save_link(link: PublicLink, actor: Any) -> None:
    created = link.pk is None
    link.save()
    verb = "leaving.link_add" if created else "leaving.link_update"
    audit(verb, organisation=link.organisation, actor=actor, obj=link, network=link.network)


@transaction.atomic
def delete_link(link: PublicLink, actor: Any) -> None:
    audit("leaving.link_delete", organisation=link.organisation, actor=actor, obj=link)
    link.delete()


def account_channel(account: ConnectedAccount) -> texts.Channel | None:
    """A connected Bluesky or Mastodon account as a public channel with its profile URL."""
    handle = account.handle.strip().lstrip("@")
    if account.network == Network.BLUESKY and handle:
        return texts.Channel(
            "bluesky", "Bluesky", f"@{handle}", f"https://bsky.app/profile/{handle}"
        )
    if account.network == Network.MASTODON and handle:
        user, _at, domain = handle.partition("@")
        base = account.instance_url.rstrip("/") or (f"https://{domain}" if domain else "")
        if not base:
            return None
        domain = domain or base.split("://", 1)[-1]
        return texts.Channel("mastodon", "Mastodon", f"@{user}@{domain}", f"{base}/@{user}")
    return None


def channels(org: Organisation, page: PublicPage | None = None) -> list[texts.Channel]:
    """Where to find the organisation: its connected accounts (unless hidden), then the links
    it added by hand, then its website when no link already points there. `page`: the
    organisation's public page when the caller has it (one query less per view)."""
    found: list[texts.Channel] = []
    if page is None:
        page = PublicPage.objects.filter(organisation=org).first()
    if page is None or page.show_connected_accounts:
        for account in org.accounts.filter(
            network__in=[Network.BLUESKY, Network.MASTODON]
        ).order_by("network", "handle"):
            channel = account_channel(account)
            if channel is not None:
                found.append(channel)
    for link in org.public_links.filter(shown=True):
        found.append(texts.Channel(link.network, link.get_network_display(), link.handle, link.url))
    urls = {c.url.rstrip("/") for c in found}
    if org.website and org.website.rstrip("/") not in urls:
        found.append(
            texts.Channel(
                "website", _("Website"), domain_of(org.website) or org.website, org.website
            )
        )
    return found


@functools.lru_cache(maxsize=1024)
def qr_svg(url: str, label: str) -> str:
    """An inline SVG QR code for `url`, labelled for assistive technologies. Only segno's path
    geometry and our escaped label reach the markup.

    Kept once made: a QR code costs ~5 ms of CPU and the public page shows one per channel,
    which made it the slowest page under load (bench/web_load.py); a URL's code never changes."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return (
        f'<span class="envol-qr" role="img" aria-label="{escape(label)}">'
        + svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
        + "</span>"
    )


def latest_starter_pack(org: Organisation) -> StarterPack | None:
    return (
        StarterPack.objects.select_related("account")
        .filter(organisation=org, synced_at__isnull=False)
        .order_by("-synced_at")
        .first()
    )


# ---------------------------------------------------------------- the announcement kit


def org_facts(org: Organisation) -> texts.OrgFacts:
    return texts.OrgFacts(name=org.name, page_url=public_url(org), channels=channels(org))


@dataclass(frozen=True)
class Announcement:
    kind: str
    label: str
    text: str  # as edited, or as generated
    generated: str
    edited: bool
    parts: list[texts.CheckedPart]

    @property
    def fits(self) -> bool:
        return all(p.fits for p in self.parts)


def announcement_kit(org: Organisation, lang: str) -> list[Announcement]:
    """Every announcement text in `lang`, edited or generated, split and checked."""
    if lang not in LANGS:
        raise LeavingError(_("Unknown language '%(lang)s': use fr or en.") % {"lang": lang})
    generated = texts.generate(org_facts(org), lang)
    drafts = {d.kind: d.text for d in AnnouncementDraft.objects.filter(organisation=org, lang=lang)}
    kit = []
    for kind in texts.KINDS:
        text = drafts.get(kind, generated[kind])
        kit.append(
            Announcement(
                kind=kind,
                label=str(AnnouncementKind(kind).label),
                text=text,
                generated=generated[kind],
                edited=kind in drafts,
                parts=texts.check(kind, texts.split(kind, text)),
            )
        )
    return kit


def announcement_texts(org: Organisation, lang: str) -> dict[str, list[str]]:
    """kind (x_post, x_bio, bluesky, mastodon) → the posts to publish, in order. The hook for the
    publishing app: it publishes the Bluesky and Mastodon ones, exactly once, from the composer."""
    return {a.kind: [p.text for p in a.parts] for a in announcement_kit(org, lang)}


@transaction.atomic
def save_announcement(org: Organisation, lang: str, kind: str, text: str, actor: Any) -> None:
    """Keep the team's edit; an edit equal to the generated text (or empty) removes the draft."""
    if kind not in texts.KINDS or lang not in LANGS:
        raise LeavingError(_("Unknown announcement."))
    text = text.replace("\r\n", "\n").strip()
    generated = texts.generate(org_facts(org), lang)[kind]
    if not text or text == generated:
        AnnouncementDraft.objects.filter(organisation=org, lang=lang, kind=kind).delete()
        audit("leaving.announcement_reset", organisation=org, actor=actor, kind=kind, lang=lang)
        return
    draft, _created = AnnouncementDraft.objects.update_or_create(
        organisation=org,
        lang=lang,
        kind=kind,
        defaults={"text": text, "updated_by": actor if getattr(actor, "pk", None) else None},
    )
    audit(
        "leaving.announcement_edit", organisation=org, actor=actor, obj=draft, kind=kind, lang=lang
    )


def publishing_available() -> bool:
    """True when the publishing app is installed (it publishes the Bluesky/Mastodon texts)."""
    return apps.is_installed("envol.publishing")


def announcement_origin(lang: str, kind: str) -> str:
    return f"leaving:announcement:{lang}:{kind}"


def publish_announcement(org: Organisation, lang: str, kind: str, actor: Any) -> Any:
    """Queue the Bluesky or Mastodon announcement for publication on the organisation's connected
    accounts of that network. Exactly once: the post is keyed by its origin, so publishing again
    returns the same post (and only retries what did not go out)."""
    from envol.publishing import services as publishing

    if kind not in ("bluesky", "mastodon"):
        raise LeavingError(_("Only the Bluesky and Mastodon texts are published from envol."))
    accounts = list(ConnectedAccount.objects.filter(organisation=org, network=kind))
    if not accounts:
        raise LeavingError(
            _("Connect a %(network)s account first (Accounts page).")
            % {"network": kind.capitalize()}
        )
    parts = announcement_texts(org, lang)[kind]
    try:
        post = publishing.create_post(
            org,
            "\n\n".join(parts),
            accounts,
            author=actor,
            lang=lang,
            parts=parts,
            origin=announcement_origin(lang, kind),
        )
    except publishing.PublishingError as exc:
        raise LeavingError(str(exc)) from None
    publishing.queue(post, actor)
    audit(
        "leaving.announcement_publish",
        organisation=org,
        actor=actor,
        obj=post,
        kind=kind,
        lang=lang,
    )
    return post


def announcement_posts(org: Organisation, lang: str) -> dict[str, Any]:
    """kind → the post already made of that announcement (with its state), if any."""
    from envol.publishing.models import Post

    found = {}
    for kind in ("bluesky", "mastodon"):
        post = Post.objects.filter(organisation=org, origin=announcement_origin(lang, kind)).first()
        if post is not None:
            found[kind] = post
    return found


# ---------------------------------------------------------------- the checklist


@dataclass(frozen=True)
class ChecklistEntry:
    step: str
    label: str
    done: bool
    changed_at: Any
    changed_by: str


@dataclass(frozen=True)
class ChecklistSummary:
    done: int
    total: int
    entries: list[ChecklistEntry]

    @property
    def next_entry(self) -> ChecklistEntry | None:
        return next((e for e in self.entries if not e.done), None)


def checklist(org: Organisation) -> list[ChecklistEntry]:
    ticks = {
        t.step: t
        for t in ChecklistTick.objects.filter(organisation=org).select_related("changed_by")
    }
    entries = []
    for step in ChecklistStep:
        tick = ticks.get(step.value)
        who = ""
        if tick is not None and tick.changed_by is not None:
            who = tick.changed_by.email or tick.changed_by.get_username()
        entries.append(
            ChecklistEntry(
                step=step.value,
                label=str(step.label),
                done=bool(tick and tick.done),
                changed_at=tick.changed_at if tick else None,
                changed_by=who,
            )
        )
    return entries


def checklist_summary(org: Organisation) -> ChecklistSummary:
    entries = checklist(org)
    return ChecklistSummary(done=sum(e.done for e in entries), total=len(entries), entries=entries)


@transaction.atomic
def tick(org: Organisation, step: str, done: bool, actor: Any) -> ChecklistTick:
    """Tick or untick a step; the date and the person are kept, every change is audited."""
    if step not in ChecklistStep.values:
        raise LeavingError(_("Unknown checklist step '%(step)s'.") % {"step": step})
    row, _created = ChecklistTick.objects.update_or_create(
        organisation=org,
        step=step,
        defaults={
            "done": done,
            "changed_at": timezone.now(),
            "changed_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    audit("leaving.checklist_tick", organisation=org, actor=actor, obj=row, step=step, done=done)
    return row


# ---------------------------------------------------------------- starter pack and Mastodon CSV


@dataclass(frozen=True)
class SelectedAccount:
    """One account chosen for the starter pack (from an accepted match)."""

    key: str  # stable id of the source row, for forms
    label: str
    bluesky_did: str
    bluesky_handle: str
    mastodon_address: str  # user@domain, '' when unknown


def accepted_matches(org: Organisation, import_id: int) -> list[SelectedAccount]:
    """The accepted matches of one archive import, as candidates for the starter pack."""
    if not apps.is_installed("envol.crosswalk"):
        raise LeavingError(_("Matches are not available yet: the crosswalk app is not installed."))
    from envol.crosswalk import services as crosswalk

    return [
        SelectedAccount(
            key=str(m["id"]),
            label=m.get("label", "") or m.get("bluesky_handle", ""),
            bluesky_did=m.get("bluesky_did", "") or "",
            bluesky_handle=m.get("bluesky_handle", "") or "",
            mastodon_address=m.get("mastodon_address", "") or "",
        )
        for m in crosswalk.accepted_matches(org, import_id)
    ]


def mastodon_follow_csv(selection: Sequence[SelectedAccount]) -> str:
    """Mastodon's follow import file (Settings → Import): one row per account with an address."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Account address", "Show boosts", "Notify on new posts", "Languages"])
    seen: set[str] = set()
    for account in selection:
        address = account.mastodon_address.strip().lstrip("@").lower()
        if address and "@" in address and address not in seen:
            seen.add(address)
            writer.writerow([address, "true", "false", ""])
    return out.getvalue()


def bluesky_accounts(org: Organisation) -> list[ConnectedAccount]:
    return list(org.accounts.filter(network=Network.BLUESKY).order_by("handle"))


def find_bluesky_account(org: Organisation, handle: str | None) -> ConnectedAccount:
    accounts = bluesky_accounts(org)
    if handle:
        accounts = [a for a in accounts if a.handle.lstrip("@") == handle.lstrip("@")]
    if not accounts:
        raise LeavingError(
            _("No connected Bluesky account%(which)s for this organisation: connect one first.")
            % {"which": f" @{handle.lstrip('@')}" if handle else ""}
        )
    if len(accounts) > 1:
        raise LeavingError(
            _("Several Bluesky accounts are connected: choose one (%(handles)s).")
            % {"handles": ", ".join(a.handle for a in accounts)}
        )
    return accounts[0]


@transaction.atomic
def set_starter_pack(
    org: Organisation,
    account: ConnectedAccount,
    name: str,
    description: str,
    selection: Sequence[SelectedAccount],
    actor: Any,
) -> StarterPack:
    """Record the wanted starter pack: its record keys (chosen once, here) and its members.
    Nothing remote happens yet: `sync_starter_pack` makes Bluesky match these rows."""
    if account.organisation_id != org.pk or account.network != Network.BLUESKY:
        raise LeavingError(_("The starter pack needs one of this organisation's Bluesky accounts."))
    name = name.strip()
    if not name:
        raise LeavingError(_("Give the starter pack a name."))
    pack, created = StarterPack.objects.get_or_create(
        account=account,
        name=name[:50],
        defaults={"organisation": org, "list_rkey": new_tid(), "pack_rkey": new_tid()},
    )
    pack.description = description.strip()[:300]
    pack.save(update_fields=["description"])
    wanted = {s.bluesky_did: s for s in selection if s.bluesky_did.startswith("did:")}
    pack.members.exclude(subject_did__in=list(wanted)).delete()
    existing = set(pack.members.values_list("subject_did", flat=True))
    StarterPackMember.objects.bulk_create(
        [
            StarterPackMember(pack=pack, subject_did=did, handle=s.bluesky_handle, rkey=new_tid())
            for did, s in wanted.items()
            if did not in existing
        ]
    )
    audit(
        "leaving.starter_pack_set",
        organisation=org,
        actor=actor,
        obj=pack,
        created=created,
        members=len(wanted),
    )
    return pack


def bluesky_repository(account: ConnectedAccount) -> Repository:
    """The account's repository, through its connection (stored session, rate budget)."""
    from envol.networks.bluesky import BlueskyNetwork
    from envol.orgs.accounts import AccountError, network_for

    try:
        network = network_for(account)
    except AccountError as exc:
        raise LeavingError(str(exc)) from None
    if not isinstance(network, BlueskyNetwork):
        raise LeavingError(_("A starter pack needs a Bluesky account."))
    return network


def sync_starter_pack(
    pack: StarterPack, repository: Repository | None = None, actor: Any = None
) -> SyncReport:
    """Make Bluesky hold exactly this pack's list, items and starter pack (see starter_pack.py)."""
    repo = repository or bluesky_repository(pack.account)
    if pack.repo_did and pack.repo_did != repo.did:
        raise LeavingError(_("This starter pack belongs to another Bluesky account."))
    if not pack.repo_did:
        pack.repo_did = repo.did
        pack.save(update_fields=["repo_did"])
    members = list(pack.members.all())
    spec = PackSpec(
        name=pack.name,
        description=pack.description,
        list_rkey=pack.list_rkey,
        pack_rkey=pack.pack_rkey,
        created_at=pack.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    report = sync_pack(repo, spec, {m.subject_did: m.rkey for m in members})
    with transaction.atomic():
        for member in members:
            member.rkey = report.adopted.get(member.subject_did, member.rkey)
            member.synced = True
        StarterPackMember.objects.bulk_update(members, ["rkey", "synced"])
        pack.synced_at = timezone.now()
        pack.save(update_fields=["synced_at"])
        audit(
            "leaving.starter_pack_sync",
            organisation=pack.organisation,
            actor=actor,
            obj=pack,
            created=report.created,
            deleted=report.deleted,
            kept=report.kept,
        )
    return report


# ---------------------------------------------------------------- domain handle


def domain_handle_checks(org: Organisation, **lookups: Any) -> list[HandleCheck]:
    """One check per connected Bluesky account, when the organisation has a website domain."""
    domain = domain_of(org.website)
    if not domain:
        return []
    return [
        check_domain_handle(domain, account.handle, account.remote_id, **lookups)
        for account in bluesky_accounts(org)
    ]
