"""Data rights: everything envol holds about a person, as JSON; deleting their space at once.

The export is streamed (an archive of 200,000 posts must not sit in memory) and never contains
a credential. Deletion withdraws every consent first — their links leave the crosswalk, the
matches others got from them go, the public feed announces the removals — then deletes the
space with everything imported into it, the files on disk, and the user when nothing else is
theirs. Nothing is kept but an audit line without personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from envol.crosswalk.models import ConsentLevel, IdentityLink, Match, SelfLinkConsent
from envol.orgs.models import AuditEvent, ConnectedAccount, Organisation
from envol.orgs.services import audit
from envol.people import services
from envol.people.models import NewMatch, PersonSpace, SignInIdentity

EXPORT_FORMAT = "envol-personal-data/1"


def _rows(queryset: QuerySet[Any], *fields: str) -> Iterator[bytes]:
    """A JSON array of `fields` of every row, streamed."""
    yield b"["
    first = True
    for row in queryset.values(*fields).iterator(chunk_size=2000):
        yield (b"" if first else b",") + orjson.dumps(row, default=str)
        first = False
    yield b"]"


def _object(instance: Model | None, *fields: str) -> bytes:
    if instance is None:
        return b"null"
    return orjson.dumps({f: getattr(instance, f) for f in fields}, default=str)


def export_chunks(org: Organisation, user: Any) -> Iterator[bytes]:
    """The person's data as one JSON document, in pieces."""
    from envol.migration.models import MigrationItem, MigrationJob
    from envol.portability.models import (
        ArchivedMedia,
        ArchivedPost,
        ArchiveImport,
        Relation,
        SourceAccount,
    )

    space = PersonSpace.objects.filter(organisation=org).first()
    sections: list[tuple[str, Any]] = [
        ("format", orjson.dumps(EXPORT_FORMAT)),
        ("exported_at", orjson.dumps(timezone.now(), default=str)),
        ("user", _object(user, "date_joined", "last_login", "email")),
        ("space", _object(org, "slug", "name", "kind", "website", "created_at")),
        ("settings", _object(space, "email", "weekly_digest", "language", "last_digest_at")),
        (
            "sign_in_identities",
            _rows(
                SignInIdentity.objects.filter(user=user),
                "network",
                "remote_id",
                "handle",
                "created_at",
                "last_sign_in_at",
            ),
        ),
        (
            "connected_accounts",
            _rows(
                ConnectedAccount.objects.filter(organisation=org),
                "network",
                "handle",
                "remote_id",
                "instance_url",
                "status",
                "created_at",
            ),
        ),
        (
            "consents",
            _rows(
                SelfLinkConsent.objects.filter(organisation=org),
                "connected_account__network",
                "connected_account__handle",
                "level",
                "changed_at",
            ),
        ),
        (
            "links_in_the_crosswalk",
            _rows(
                IdentityLink.objects.filter(organisation=org),
                "x_id",
                "x_handle",
                "network",
                "remote_id",
                "remote_handle",
                "source",
                "evidence",
                "confidence",
                "first_seen",
            ),
        ),
        (
            "archive_imports",
            _rows(
                ArchiveImport.objects.filter(organisation=org),
                "file_name",
                "state",
                "counts",
                "created_at",
                "finished_at",
            ),
        ),
        (
            "x_accounts",
            _rows(
                SourceAccount.objects.filter(organisation=org),
                "remote_id",
                "username",
                "display_name",
                "bio",
                "website",
                "location",
                "created_remote",
            ),
        ),
        (
            "relations",
            _rows(
                Relation.objects.filter(source_account__organisation=org).order_by("pk"),
                "kind",
                "remote_id",
            ),
        ),
        (
            "posts",
            _rows(
                ArchivedPost.objects.filter(source_account__organisation=org).order_by("pk"),
                "remote_id",
                "created_at",
                "text",
                "lang",
                "is_retweet",
                "reply_to_username",
                "urls",
            ),
        ),
        (
            "media",
            _rows(
                ArchivedMedia.objects.filter(source_account__organisation=org).order_by("pk"),
                "post_remote_id",
                "kind",
                "file_name",
                "alt_text",
            ),
        ),
        (
            "matches",
            _rows(
                Match.objects.filter(archive_import__organisation=org).order_by("pk"),
                "network",
                "kind",
                "x_id",
                "remote_id",
                "remote_handle",
                "confidence",
                "source",
                "decision",
            ),
        ),
        (
            "new_matches",
            _rows(NewMatch.objects.filter(organisation=org), "network", "found_at", "seen_at"),
        ),
        (
            "follow_migrations",
            _rows(
                MigrationJob.objects.filter(organisation=org),
                "network",
                "state",
                "total",
                "created_at",
            ),
        ),
        (
            "follows_made",
            _rows(
                MigrationItem.objects.filter(job__organisation=org).order_by("pk"),
                "target",
                "handle",
                "state",
            ),
        ),
        (
            "history",
            _rows(AuditEvent.objects.filter(organisation=org), "action", "at", "detail"),
        ),
    ]
    yield b"{"
    for index, (name, value) in enumerate(sections):
        yield (b"," if index else b"") + orjson.dumps(name) + b":"
        if isinstance(value, bytes):
            yield value
        else:
            yield from value
    yield b"}"


def delete_space(org: Organisation, user: Any) -> None:
    """Delete the personal space `org` of `user`, and the user when nothing else is theirs."""
    from envol.portability import storage
    from envol.portability.models import ArchivedMedia, ArchiveImport
    from envol.publishing.models import Post

    if org.kind != Organisation.Kind.PERSON:
        raise services.SignInRefused("Only a personal space is deleted this way.")
    for account in ConnectedAccount.objects.filter(organisation=org):
        services.set_consent(account, ConsentLevel.PRIVATE, actor=user)
    files = [
        storage.data_path(path)
        for path in ArchiveImport.objects.filter(organisation=org).values_list(
            "stored_path", flat=True
        )
        if path
    ] + [
        Path(settings.MEDIA_ROOT) / path
        for path in ArchivedMedia.objects.filter(source_account__organisation=org).values_list(
            "stored_path", flat=True
        )
        if path
    ]
    with transaction.atomic():
        Post.objects.filter(organisation=org).delete()  # publications protect their account
        org.delete()
        others = user.memberships.exists()
        SignInIdentity.objects.filter(user=user).delete()
        if not others:
            user.delete()
        audit("people.space_deleted", organisation=None, accounts=0 if others else 1)
    for path in files:
        storage.remove(path)
