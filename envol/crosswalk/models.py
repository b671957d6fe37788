"""Identity links (X id ↔ Bluesky DID / Mastodon account), what each source asserted, matches.

`IdentityLink` is unique per (X id, network, remote id) and holds one source's assertion, the
best one; `LinkObservation` keeps what every *other* source asserted and when. Together they
are the history that lets `forget --source` remove exactly what one source alone asserted.
Why not an observation row for every assertion: a dataset of millions of rows asserts almost
every link alone, and a second row per link doubled the cost of its import. Both tables are
written with raw SQL in bulk (see `store.py`); the ORM serves the pages and the small sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from envol.crosswalk.dataset import ERRORS_KEPT
from envol.jobs.machine import single_run
from envol.jobs.models import Job
from envol.orgs.models import ConnectedAccount, Organisation
from envol.portability.models import ArchiveImport, Relation

if TYPE_CHECKING:
    from envol.crosswalk.chunks import Chunk


class LinkNetwork(models.TextChoices):
    BLUESKY = "bluesky", "Bluesky"
    MASTODON = "mastodon", "Mastodon"


class XIdField(models.BigIntegerField):  # type: ignore[type-arg]
    """An X account id: an integer in the database — matching joins millions of links on it,
    and an 8-byte key keeps the unique index small and its comparisons cheap (X ids are
    < 2**63) — and, like every X id elsewhere in envol, a string in Python."""

    _pyi_private_set_type: str | int  # for django-stubs: what it accepts, what it reads
    _pyi_private_get_type: str  # type: ignore[assignment]

    def from_db_value(
        self, value: int | None, expression: object, connection: object
    ) -> str | None:
        return None if value is None else str(value)

    def to_python(self, value: object) -> str | None:
        number = super().to_python(value)
        return None if number is None else str(number)


class IdentityLinkQuerySet(models.QuerySet["IdentityLink"]):
    def asserted_by(self, source: str, organisation_id: int | None = None) -> IdentityLinkQuerySet:
        """The links `source` asserts (for one organisation: its `self` links), whether its
        assertion is the link's own or set aside in an observation. Two indexed lookups rather
        than one OR across a join, which would scan every link."""
        inline = self.filter(source=source)
        aside = LinkObservation.objects.filter(source=source)
        if organisation_id is not None:
            inline = inline.filter(organisation_id=organisation_id)
            aside = aside.filter(organisation_id=organisation_id)
        ids = [*inline.values_list("pk", flat=True), *aside.values_list("link_id", flat=True)]
        return self.filter(pk__in=ids)


class IdentityLink(models.Model):
    x_id = XIdField()
    x_handle = models.CharField(max_length=50, blank=True)
    network = models.CharField(max_length=10, choices=LinkNetwork.choices)
    remote_id = models.CharField(max_length=300)  # a DID, or user@domain in lower case
    remote_handle = models.CharField(max_length=300, blank=True)
    remote_url = models.CharField(max_length=500, blank=True)
    # The assertion the link holds: its source (with the organisation of a `self` link).
    source = models.CharField(max_length=100)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    evidence = models.TextField(blank=True)
    confidence = models.FloatField()
    first_seen = models.DateTimeField()
    last_verified = models.DateTimeField()
    # The assertion a merge set aside (the one it displaced, or its own when weaker): moved to
    # LinkObservation before the merge's transaction ends, so always empty outside it.
    aside_source = models.CharField(max_length=100, null=True, blank=True)
    aside_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    aside_evidence = models.TextField(null=True, blank=True)
    aside_confidence = models.FloatField(null=True, blank=True)
    aside_first_seen = models.DateTimeField(null=True, blank=True)
    aside_last_seen = models.DateTimeField(null=True, blank=True)

    objects = IdentityLinkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["x_id", "network", "remote_id"], name="one_link_per_remote_identity"
            )
        ]
        # Partial: a few `self` links have an organisation, and only a merge's own rows have
        # something set aside; an import of millions of links adds nothing to either index.
        indexes = [
            models.Index(
                fields=["organisation"],
                condition=Q(organisation__isnull=False),
                name="link_self_organisation",
            ),
            models.Index(
                fields=["aside_source"],
                condition=Q(aside_source__isnull=False),
                name="link_set_aside",
            ),
        ]

    def __str__(self) -> str:
        return f"x:{self.x_id} → {self.network}:{self.remote_id} ({self.confidence:.2f})"


class LinkObservation(models.Model):
    """What a source other than the link's own asserted; `organisation` is set for `self`
    links (consent)."""

    # The unique (link, source) index serves lookups by link; a takedown by source scans —
    # cheaper than an index on every row of a million-row import. Consent lookups by
    # organisation use the small partial index below.
    link = models.ForeignKey(
        IdentityLink, on_delete=models.CASCADE, related_name="observations", db_index=False
    )
    source = models.CharField(max_length=100)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    evidence = models.TextField(blank=True)
    confidence = models.FloatField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "source"], name="one_observation_per_source")
        ]
        # Partial, like the links' own: only `self` assertions have an organisation, so a
        # consent change on a national instance (thousands a day) finds a person's set-aside
        # assertions without scanning every dataset's observations; imports add nothing to it.
        indexes = [
            models.Index(
                fields=["organisation"],
                condition=Q(organisation__isnull=False),
                name="observation_self_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.link_id} ({self.confidence:.2f})"


class ConsentLevel(models.TextChoices):
    """Who the link between someone's X account and their own network account serves."""

    PRIVATE = "private", _("Only me")
    FOLLOWERS = "followers", _("The people who followed me on X")
    PUBLIC = "public", _("Everyone, and the public dataset shared with other instances")


class SelfLinkConsent(models.Model):
    """How far an organisation or a person shares the link between its X account and one of
    its connected accounts. Private by default; lowering the level removes what it allowed.
    `shared` mirrors `level != private` for the pages written before the levels."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    connected_account = models.OneToOneField(
        ConnectedAccount, on_delete=models.CASCADE, related_name="self_link_consent"
    )
    shared = models.BooleanField(_("share with this instance"), default=False)
    level = models.CharField(
        _("who may find this link"),
        max_length=10,
        choices=ConsentLevel.choices,
        default=ConsentLevel.PRIVATE,
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.connected_account}: {self.level}"


class Band(models.TextChoices):
    AUTO = "auto", _("Automatic")
    REVIEW = "review", _("To review")
    NONE = "none", _("Too weak")


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Match(models.Model):
    """A relation from an archive import → its best candidate on one network.

    Computed in one INSERT … SELECT (see `matching.py`); rows a person decided on
    (`decided_by` set) are never overwritten by a re-run.
    """

    # The unique (relation, archive_import, network) index also serves the relation's lookups
    # (its cascade): one index fewer for a matching to fill; the page indexes serve an import's.
    # No foreign-key constraints in the database on the three keys a matching writes: a match
    # is derived (recomputed from the relation and the link), Django's collector removes or
    # unlinks it when its import, relation or link goes, and the crosswalk's raw deletions
    # remove orphaned matches first (store.forget). Measured on PostgreSQL: the deferred checks
    # (a FOR KEY SHARE row lock per key per match) made the commit of 60,000 new matches take
    # 1.1–2.3 s, as long as the matching itself.
    archive_import = models.ForeignKey(
        ArchiveImport,
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    relation = models.ForeignKey(
        Relation, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    network = models.CharField(max_length=10, choices=LinkNetwork.choices)
    kind = models.CharField(max_length=10)
    x_id = models.CharField(max_length=32)
    link = models.ForeignKey(
        IdentityLink,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    # The X username, when a source of the crosswalk knows it (the archive lists ids only).
    x_handle = models.CharField(max_length=50, blank=True, default="")
    remote_id = models.CharField(max_length=300)
    remote_handle = models.CharField(max_length=300, blank=True)
    remote_url = models.CharField(max_length=500, blank=True)
    confidence = models.FloatField()
    band = models.CharField(max_length=10, choices=Band.choices)
    source = models.CharField(max_length=100)
    reasons = models.TextField(blank=True)
    candidates = models.TextField(blank=True)  # the other candidates, best first
    candidate_count = models.PositiveIntegerField(default=1)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["relation", "archive_import", "network"], name="one_match_per_relation"
            )
        ]
        # The review page's order (confidence, best first, then id: its keyset) with no
        # filter, with a band, with a decision (the exports read the accepted ones by it).
        # A network or source filter walks the first: a page of 50 reads a few hundred rows.
        indexes = [
            models.Index(fields=["archive_import", "-confidence", "id"], name="match_page"),
            models.Index(
                fields=["archive_import", "band", "-confidence", "id"], name="match_page_band"
            ),
            models.Index(
                fields=["archive_import", "decision", "-confidence", "id"],
                name="match_page_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.x_id} → {self.remote_id} ({self.band}, {self.decision})"


class MatchTally(models.Model):
    """How many matches of an import fall in each (network, kind, band, decision, source):
    the review page's counts, band tags and source list, kept by whatever writes matches
    (matching, decisions, takedowns) so that a page view never scans an import's matches."""

    archive_import = models.ForeignKey(
        ArchiveImport, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    network = models.CharField(max_length=10, choices=LinkNetwork.choices)
    kind = models.CharField(max_length=10)
    band = models.CharField(max_length=10, choices=Band.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    source = models.CharField(max_length=100)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["archive_import", "network", "kind", "band", "decision", "source"],
                name="one_tally_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.archive_import_id} {self.network} {self.band} {self.decision}: {self.count}"


class DatasetImport(models.Model):
    """One import of a dataset file, committed chunk by chunk: a run that stopped (killed,
    machine restarted) resumes after its last committed line when the same file is imported
    again for the same source. Importing another file (or the same one with another default
    confidence) for that source supersedes the stopped run: it will never resume, so its
    staging tables are dropped."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        SUPERSEDED = "superseded", _("Replaced by a later import")

    source = models.CharField(max_length=100)
    file_name = models.CharField(max_length=255)
    # Size and hashes of the file's first and last MiB: the same file, without reading it all.
    fingerprint = models.CharField(max_length=80)
    default_confidence = models.FloatField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    lines_done = models.PositiveBigIntegerField(default=0)  # the file's lines merged so far
    # Halves of chunks past lines_done already merged (store.Part as JSON): a resumed import
    # skips their rows. Each half of a chunk commits on its own (see halves.py).
    parts_done = models.JSONField(default=list)
    imported = models.PositiveBigIntegerField(default=0)
    updated = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    errors = models.JSONField(default=list)  # the first rejected rows: [[line, reason], …]
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.source} ← {self.file_name} ({self.state}, line {self.lines_done})"

    def chunk_merged(self, chunk: Chunk) -> None:
        """Move past a chunk merged whole (unsaved): its rejected rows counted, the first ones
        kept, and the parts noted of it and of earlier chunks forgotten."""
        self.lines_done = chunk.last_line
        self.rejected += chunk.rejected
        self.errors = (self.errors + [list(error) for error in chunk.errors])[:ERRORS_KEPT]
        self.parts_done = [part for part in self.parts_done if part["until"] > chunk.last_line]


class MatchingState(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    RUNNING = "running", _("Finding the matches")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


MATCHING_MACHINE = single_run("matching", MatchingState)


class MatchingJob(Job):
    """The matching of one import's relations on one network ("find the accounts I follow
    on …"), run by a worker (crosswalk/jobs.py) while the page follows its progress."""

    State = MatchingState
    machine = MATCHING_MACHINE

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    archive_import = models.ForeignKey(
        ArchiveImport, on_delete=models.CASCADE, related_name="matching_jobs"
    )
    network = models.CharField(max_length=10, choices=LinkNetwork.choices)
    kind = models.CharField(max_length=10, choices=Relation.Kind.choices)
    state = MATCHING_MACHINE.field()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    summary = models.JSONField(default=dict, blank=True)  # MatchSummary.as_json()

    class Meta(Job.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"matching {self.pk} ({self.network}, {self.state})"
