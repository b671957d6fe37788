"""Personal spaces: people who sign in with their Bluesky or Mastodon account.

A person's space is an organisation of kind `person` with them as its only admin, so every page
and service of envol serves them as it serves an institution. What is theirs alone lives here:
the network identities they sign in with (no password), their settings (the weekly digest),
the matches found for them since they last looked, invitations when sign-up is by invitation,
and two jobs of the engine: what follows a person's archive import (`ArchiveFollowUp`) and their
weekly email (`WeeklyDigest`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.crosswalk.models import Match
from envol.jobs.machine import StateMachine
from envol.jobs.models import Job
from envol.orgs.models import Organisation
from envol.portability.models import ArchiveImport


class SignInIdentity(models.Model):
    """A network account someone signs in with: a Bluesky DID or a Mastodon `user@domain`."""

    class Network(models.TextChoices):
        BLUESKY = "bluesky", "Bluesky"
        MASTODON = "mastodon", "Mastodon"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_identities"
    )
    network = models.CharField(max_length=10, choices=Network.choices)
    remote_id = models.CharField(max_length=300)  # a DID; user@domain in lower case
    handle = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "remote_id"], name="one_user_per_identity")
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle}"


class PersonSpace(models.Model):
    """What a personal space adds to its organisation."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="person_space", primary_key=True
    )
    email = models.EmailField(_("email address"), blank=True)
    weekly_digest = models.BooleanField(_("weekly email of new matches"), default=False)
    language = models.CharField(max_length=8, blank=True)  # of the emails; the site's if empty
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"space of {self.organisation}"


class NewMatch(models.Model):
    """A match found for an organisation after its own import: someone it followed on X just
    joined (or arrived from a subscribed instance). Shown on the next visit, emailed weekly."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # No database constraint: the crosswalk deletes matches in bulk with raw SQL (a takedown,
    # a withdrawn consent). A news item whose match is gone is simply not shown: every read
    # joins the match (`alive`), and `prune` removes the leftovers.
    match = models.ForeignKey(
        Match, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    network = models.CharField(max_length=10)
    found_at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "match"], name="one_news_per_match")
        ]
        indexes = [
            models.Index(
                fields=["organisation"],
                condition=models.Q(seen_at__isnull=True),
                name="news_unseen",
            ),
            models.Index(
                fields=["organisation"],
                condition=models.Q(emailed_at__isnull=True),
                name="news_not_emailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: match {self.match_id}"


class Invitation(models.Model):
    """One personal space when sign-up is by invitation (ENVOL_SIGNUP=invite). Only the code's
    hash is kept: the code itself is shown once, to whoever made it."""

    code_hash = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    def __str__(self) -> str:
        return f"invitation {self.pk} ({'used' if self.used_at else 'open'})"


class FollowUpState(models.TextChoices):
    WAITING = "waiting", _("Waiting for the archive")
    READY = "ready", _("Finding your matches")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


FOLLOW_UP_MACHINE = StateMachine(
    "archive follow-up",
    FollowUpState,
    {
        FollowUpState.WAITING: {FollowUpState.READY, FollowUpState.FAILED},
        FollowUpState.READY: {FollowUpState.DONE, FollowUpState.FAILED},
        FollowUpState.DONE: set(),
        FollowUpState.FAILED: set(),
    },
    runnable=[FollowUpState.READY],
    failed=FollowUpState.FAILED,
)


class ArchiveFollowUp(Job):
    """What a person's archive import leads to once it is in: their own matches, then their
    consented links (the X id is known now), so that the people who followed them find them.
    Waits (never polled) until the import ends: the import's end makes it due, in the same
    transaction (`people.apps`)."""

    State = FollowUpState
    machine = FOLLOW_UP_MACHINE
    state = FOLLOW_UP_MACHINE.field()
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    archive_import = models.OneToOneField(
        ArchiveImport, on_delete=models.CASCADE, related_name="person_follow_up"
    )

    class Meta(Job.Meta):
        pass

    def __str__(self) -> str:
        return f"follow-up of import {self.archive_import_id} ({self.state})"


class DigestState(models.TextChoices):
    ACTIVE = "active", _("Every week")
    STOPPED = "stopped", _("Stopped")


DIGEST_MACHINE = StateMachine(
    "weekly digest",
    DigestState,
    {DigestState.ACTIVE: {DigestState.STOPPED}, DigestState.STOPPED: {DigestState.ACTIVE}},
    runnable=[DigestState.ACTIVE],
)


class WeeklyDigest(Job):
    """A person's weekly email of new matches, as a job due when the next one may go.

    Exactly once a week at most, workers killed or not: the week is claimed (with the news it
    tells, marked emailed) and committed BEFORE the email is handed to the mail server, and
    `sent_at` written after. A step that finds this week claimed but not sent knows a worker
    died in between: it never sends again (the person may miss that email, never get two)."""

    State = DigestState
    machine = DIGEST_MACHINE
    state = DIGEST_MACHINE.field()
    space = models.OneToOneField(PersonSpace, on_delete=models.CASCADE, related_name="digest")
    week = models.CharField(max_length=10, blank=True)  # ISO week of the last email claimed
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # None after a claim: not sent yet

    class Meta(Job.Meta):
        pass

    def __str__(self) -> str:
        return f"weekly digest of {self.space_id} ({self.state}, {self.week or 'never'})"
