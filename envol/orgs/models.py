"""Organisations, their members and roles, connected network accounts, and the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.orgs import crypto


class Organisation(models.Model):
    class ReviewPolicy(models.TextChoices):
        """Whether a post needs another member's approval before it goes out (the desk)."""

        AUTO = "auto", _("When the organisation has a member with the Reviewer role")
        ALWAYS = "always", _("Always")
        NEVER = "never", _("Never")

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        REGION = "region", _("Region")
        UNIVERSITY = "university", _("University")
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Public agency")
        ASSOCIATION = "association", _("Association")
        PERSON = "person", _("Person")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CITY)
    website = models.URLField(_("website"), blank=True)
    # The look of its public page and of the back office header (see orgs/brand.py).
    colour = models.CharField(_("colour"), max_length=7, blank=True, db_default="")
    has_logo = models.BooleanField(default=False, db_default=False, editable=False)
    brand_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where its posts are scheduled and its calendar drawn (an IANA name).
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", db_default="Europe/Paris"
    )
    review_policy = models.CharField(
        _("approval before publishing"),
        max_length=10,
        choices=ReviewPolicy.choices,
        default=ReviewPolicy.AUTO,
        db_default=ReviewPolicy.AUTO,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def brand_version(self) -> int:
        """Changes whenever the colour or the logo does: the files' URLs carry it (caching)."""
        return int(self.brand_updated_at.timestamp()) if self.brand_updated_at else 0


class OrganisationLogo(models.Model):
    """The logo as envol re-encoded it (a PNG); apart, so that loading an organisation never
    loads the image."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="logo", primary_key=True
    )
    png = models.BinaryField()

    def __str__(self) -> str:
        return f"logo of {self.organisation}"


class Role(models.TextChoices):
    """Ordered from most to least powerful: see `Membership.can`."""

    ADMIN = "admin", _("Administrator")
    EDITOR = "editor", _("Editor")
    REVIEWER = "reviewer", _("Reviewer")
    VIEWER = "viewer", _("Viewer")


ROLE_RANK = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class Membership(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    def can(self, role: str) -> bool:
        """True when this member's role is at least `role`."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


class Network(models.TextChoices):
    BLUESKY = "bluesky", "Bluesky"
    MASTODON = "mastodon", "Mastodon"
    X = "x", "X"


class ConnectedAccount(models.Model):
    """An organisation's account on a network. Credentials are only ever stored encrypted."""

    class Status(models.TextChoices):
        OK = "ok", _("Connected")
        BROKEN = "broken", _("Needs reconnecting")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="accounts"
    )
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    handle = models.CharField(_("handle"), max_length=255)
    remote_id = models.CharField(_("remote id"), max_length=255, blank=True)
    instance_url = models.URLField(_("instance URL"), blank=True)
    credentials_encrypted = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    status_detail = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "network", "handle"], name="one_connection_per_handle"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"

    def set_credentials(self, data: dict[str, Any]) -> None:
        import orjson

        self.credentials_encrypted = crypto.encrypt(orjson.dumps(data).decode())

    def get_credentials(self) -> dict[str, Any]:
        import orjson

        if not self.credentials_encrypted:
            return {}
        result: dict[str, Any] = orjson.loads(crypto.decrypt(self.credentials_encrypted))
        return result


class MastodonOAuthApp(models.Model):
    """envol's OAuth application on one Mastodon server: registered once, reused by every
    organisation connecting an account there."""

    instance = models.URLField(max_length=255)
    redirect_uri = models.CharField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "redirect_uri"], name="one_app_per_instance_and_callback"
            )
        ]

    def __str__(self) -> str:
        return self.instance


class AuditEvent(models.Model):
    """Who did what, when, on which object: written by services, never edited."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="audit_events", null=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"
