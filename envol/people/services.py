"""Personal spaces: sign-in with a network account, consent, what is new, data rights.

Callable alike from the web, the CLI and the jobs. A person's space is an organisation of kind
`person` (`orgs.services`), its network accounts are connected accounts (`orgs`), their archive
is an import (`portability`), their consent is the crosswalk's (`crosswalk.sources`): this module
only ties them together for one person.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from envol.crosswalk import incremental, sources
from envol.crosswalk.models import ConsentLevel, Match
from envol.jobs.kinds import Outcome, Step, to
from envol.orgs.models import ConnectedAccount, Membership, Organisation, Role
from envol.orgs.services import OrgError, audit
from envol.people.models import (
    ArchiveFollowUp,
    Invitation,
    NewMatch,
    PersonSpace,
    SignInIdentity,
)
from envol.portability.models import ArchiveImport

User = get_user_model()


class SignInRefused(OrgError):
    """Signing in cannot create or open a space; the message says why, in the reader's words."""


@dataclass(frozen=True)
class NetworkIdentity:
    """Who signed in, as their network told envol."""

    network: str  # bluesky | mastodon
    remote_id: str  # a DID | user@domain (lower case)
    handle: str
    instance_url: str  # the PDS | the Mastodon server
    account_id: str = ""  # Mastodon's account id on its server


def signup_mode() -> str:
    return str(settings.ENVOL_SIGNUP)


# --- invitations ----------------------------------------------------------------------------------


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def create_invitation(note: str = "") -> str:
    """A single-use invitation code (shown once: only its hash is kept)."""
    code = secrets.token_urlsafe(12)
    Invitation.objects.create(code_hash=_hash(code), note=note[:200])
    return code


def invitation_is_open(code: str) -> bool:
    return bool(code) and Invitation.objects.filter(code_hash=_hash(code), used_at=None).exists()


# --- signing in -----------------------------------------------------------------------------------


@transaction.atomic
def sign_in(identity: NetworkIdentity, invitation: str = "") -> Any:
    """The user this network account signs in as; a new personal space when it is new here and
    the instance allows it (ENVOL_SIGNUP), else `SignInRefused`."""
    known = (
        SignInIdentity.objects.select_for_update()
        .filter(network=identity.network, remote_id=identity.remote_id)
        .select_related("user")
        .first()
    )
    if known is not None:
        known.handle = identity.handle or known.handle
        known.last_sign_in_at = timezone.now()
        known.save(update_fields=["handle", "last_sign_in_at"])
        ConnectedAccount.objects.filter(
            organisation__memberships__user=known.user,
            organisation__kind=Organisation.Kind.PERSON,
            network=identity.network,
            remote_id=_account_remote_id(identity),
        ).update(handle=identity.handle)
        return known.user
    mode = signup_mode()
    if mode == "closed":
        raise SignInRefused(
            _("This envol instance does not open personal spaces. Ask its administrator.")
        )
    used: Invitation | None = None
    if mode == "invite":
        used = (
            Invitation.objects.select_for_update()
            .filter(code_hash=_hash(invitation), used_at=None)
            .first()
        )
        if not invitation or used is None:
            raise SignInRefused(
                _("Personal spaces on this instance are by invitation: open your invitation link.")
            )
    user = User.objects.create_user(username=_username(identity), first_name=identity.handle[:150])
    user.set_unusable_password()  # the network vouches for them: no password, ever
    user.save(update_fields=["password"])
    space = _create_space(user, identity.handle)
    attach(user, space.organisation, identity)
    if used is not None:
        used.used_at, used.used_by = timezone.now(), user
        used.save(update_fields=["used_at", "used_by"])
    audit(
        "people.space_created", organisation=space.organisation, actor=user, obj=space.organisation
    )
    return user


def _username(identity: NetworkIdentity) -> str:
    """Never an email address (those sign in with a password): `network:id`, hashed if long."""
    name = f"{identity.network}:{identity.remote_id}"
    return name if len(name) <= 150 else f"{identity.network}:{_hash(name)}"


def _create_space(user: Any, handle: str) -> PersonSpace:
    from envol.orgs.services import create_organisation

    org = create_organisation(
        f"p-{secrets.token_hex(5)}", handle[:200] or "envol", kind=Organisation.Kind.PERSON
    )
    Membership.objects.create(organisation=org, user=user, role=Role.ADMIN)
    return PersonSpace.objects.create(organisation=org)


def _account_remote_id(identity: NetworkIdentity) -> str:
    return identity.account_id if identity.network == "mastodon" else identity.remote_id


def attach(user: Any, org: Organisation, identity: NetworkIdentity) -> ConnectedAccount:
    """Sign-in identity and connected account of `identity` in `org` (a person connecting their
    other network, or their first). Refused when the identity is someone else's."""
    owner = identity_owner(identity)
    if owner is not None and owner.pk != user.pk:
        raise SignInRefused(_("This account already opens another space."))
    try:
        with transaction.atomic():
            SignInIdentity.objects.update_or_create(
                network=identity.network,
                remote_id=identity.remote_id,
                defaults={"user": user, "handle": identity.handle},
            )
    except IntegrityError:  # signed in elsewhere at the same instant
        raise SignInRefused(_("This account already opens another space.")) from None
    account, _created = ConnectedAccount.objects.update_or_create(
        organisation=org,
        network=identity.network,
        handle=identity.handle,
        defaults={
            "remote_id": _account_remote_id(identity),
            "instance_url": identity.instance_url,
        },
    )
    return account


def identity_owner(identity: NetworkIdentity) -> Any:
    known = SignInIdentity.objects.filter(
        network=identity.network, remote_id=identity.remote_id
    ).first()
    return known.user if known is not None else None


def person_space_of(user: Any) -> Organisation | None:
    """The user's personal space, if they have one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Organisation.objects.filter(
            kind=Organisation.Kind.PERSON, memberships__user=user, person_space__isnull=False
        )
        .order_by("pk")
        .first()
    )


def store_credentials(account: ConnectedAccount, credentials: dict[str, Any]) -> None:
    """What a follow authorisation gave (encrypted at rest by the account)."""
    account.set_credentials(credentials)
    account.status = ConnectedAccount.Status.OK
    account.status_detail = ""
    account.save()


def can_follow(account: ConnectedAccount) -> bool:
    """Whether the person authorised envol to follow accounts with this network account."""
    return bool(account.credentials_encrypted)


# --- consent and new matches ----------------------------------------------------------------------


def set_consent(account: ConnectedAccount, level: str, actor: Any = None) -> bool:
    """Set the consent level of the link between the person's X account and `account`, then
    tell the others: matches for everyone whose archive names this X id (incremental), and the
    instance's public feed (added or removed). True when a link is now in the crosswalk."""
    from envol.sharing import services as sharing

    with transaction.atomic():
        before = sharing.public_links_of(account.organisation_id)
        link = sources.set_self_link_level(account, level, actor)
        sharing.journal(before, sharing.public_links_of(account.organisation_id))
    if link is not None:
        record_news(incremental.match_new_links([link.pk]))
    return link is not None


def consent_level(account: ConnectedAccount) -> str:
    return sources.self_link_level(account)


def follow_up(archive_import: ArchiveImport) -> ArchiveFollowUp:
    """What a person's upload leads to: their matches and consented links once the import is
    in (create it in the transaction that creates the import: it waits for the import's end)."""
    return ArchiveFollowUp.objects.create(
        organisation_id=archive_import.organisation_id, archive_import=archive_import
    )


def import_finished(sender: Any, archive_import: ArchiveImport, **kwargs: Any) -> None:
    """The import ended (inside its transaction): its follow-up becomes due, or fails with it."""
    from envol.jobs.transitions import move

    done = archive_import.state == ArchiveImport.State.DONE
    wanted = ArchiveFollowUp.State.READY if done else ArchiveFollowUp.State.FAILED
    waiting = ArchiveFollowUp.objects.filter(
        archive_import=archive_import, state=ArchiveFollowUp.State.WAITING
    )
    for job in waiting:
        move(job, wanted)


def run_follow_up(job: ArchiveFollowUp, step: Step) -> Outcome:
    """The follow-up's one step: idempotent parts that each commit (run again if cut short)."""
    after_import(job.organisation)
    return to(ArchiveFollowUp.State.DONE)


def after_import(org: Organisation) -> None:
    """Once a person's archive is in: their own matches, then their consented links (the X id
    is known now), so that the people who followed them find them."""
    from envol.crosswalk.matching import compute_matches

    archive = (
        ArchiveImport.objects.filter(organisation=org, state=ArchiveImport.State.DONE)
        .order_by("-pk")
        .first()
    )
    if archive is None:
        return
    for network in ("bluesky", "mastodon"):
        compute_matches(archive, network)
    for account in ConnectedAccount.objects.filter(organisation=org):
        level = consent_level(account)
        if level != ConsentLevel.PRIVATE:
            set_consent(account, level)


def record_news(match_ids: Iterable[int], now: datetime | None = None) -> int:
    """Remember matches of accounts followed on X, found after their archive came in."""
    found = now or timezone.now()
    rows = [
        NewMatch(organisation_id=org_id, match_id=match_id, network=network, found_at=found)
        for match_id, org_id, network in Match.objects.filter(
            pk__in=list(match_ids), kind="following"
        ).values_list("pk", "archive_import__organisation_id", "network")
    ]
    NewMatch.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def unseen_news(org: Organisation) -> dict[str, int]:
    """Network → how many accounts followed on X arrived there since the last visit."""
    counts = (
        alive(NewMatch.objects.filter(organisation=org, seen_at=None))
        .values_list("network")
        .annotate(n=Count("id"))
    )
    return dict(counts.values_list("network", "n"))


def alive(news: QuerySet[NewMatch]) -> QuerySet[NewMatch]:
    """The news whose match still exists (the join drops the others)."""
    return news.filter(match__kind="following")


def prune_news() -> int:
    """Forget news whose match the crosswalk deleted (withdrawn consent, takedown)."""
    deleted, _by_model = NewMatch.objects.exclude(match_id__in=Match.objects.values("pk")).delete()
    return deleted


def mark_news_seen(org: Organisation, now: datetime | None = None) -> None:
    NewMatch.objects.filter(organisation=org, seen_at=None).update(seen_at=now or timezone.now())
