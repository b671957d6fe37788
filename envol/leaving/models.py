"""What an organisation keeps while leaving X: its public page and links, edited announcement
texts, its Bluesky starter packs (with the record keys that make re-runs idempotent) and the
checklist of the advice "Quitter X, comment faire ?"."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.orgs.models import ConnectedAccount, Organisation

INTRO_MAX_CHARS = 1000


class PublicPage(models.Model):
    """The "where to find us" page at /<org-slug>/. Hidden until the organisation publishes it."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="public_page"
    )
    published = models.BooleanField(_("published"), default=False)
    intro_fr = models.TextField(_("text in French"), max_length=INTRO_MAX_CHARS, blank=True)
    intro_en = models.TextField(_("text in English"), max_length=INTRO_MAX_CHARS, blank=True)
    show_connected_accounts = models.BooleanField(
        _("show the connected Bluesky and Mastodon accounts"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"/{self.organisation.slug}/"

    def intro(self, lang: str) -> str:
        """The text in `lang`, falling back to the other language rather than showing nothing."""
        first, second = (
            (self.intro_en, self.intro_fr) if lang == "en" else (self.intro_fr, self.intro_en)
        )
        return first or second


class PublicLink(models.Model):
    """A channel listed on the public page by hand: LinkedIn, newsletter, website, PeerTube…"""

    class Kind(models.TextChoices):
        BLUESKY = "bluesky", "Bluesky"
        MASTODON = "mastodon", "Mastodon"
        PEERTUBE = "peertube", "PeerTube"
        LINKEDIN = "linkedin", "LinkedIn"
        YOUTUBE = "youtube", "YouTube"
        INSTAGRAM = "instagram", "Instagram"
        FACEBOOK = "facebook", "Facebook"
        TIKTOK = "tiktok", "TikTok"
        NEWSLETTER = "newsletter", _("Newsletter")
        WEBSITE = "website", _("Website")
        RSS = "rss", _("RSS feed")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="public_links"
    )
    network = models.CharField(_("channel"), max_length=20, choices=Kind.choices)
    handle = models.CharField(
        _("name shown"), max_length=200, help_text=_("e.g. @ville@social.example or Lettre d'info")
    )
    url = models.URLField(_("address (URL)"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    shown = models.BooleanField(_("shown on the page"), default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"


class AnnouncementKind(models.TextChoices):
    X_POST = "x_post", _("X announcement")
    X_BIO = "x_bio", _("X bio line")
    BLUESKY = "bluesky", _("First Bluesky post")
    MASTODON = "mastodon", _("First Mastodon post")


class AnnouncementDraft(models.Model):
    """A generated announcement text as the team edited it (absent: the generated text is used)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="announcement_drafts"
    )
    lang = models.CharField(max_length=5)
    kind = models.CharField(max_length=20, choices=AnnouncementKind.choices)
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "lang", "kind"], name="one_announcement_draft_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.lang})"


class ChecklistStep(models.TextChoices):
    STOP_POSTING = "stop_posting", _("Stop posting on X")
    ANNOUNCEMENT = "announcement_published", _("Announcement published")
    BIO_UPDATED = "bio_updated", _("X bio updated")
    ACCOUNT_KEPT = "account_kept", _("X account kept (never deleted)")
    FOLLOWS_MIGRATED = "follows_migrated", _("Follows migrated")
    OTHER_CHANNELS = "other_channels", _("Other channels active")
    CROSSPOSTING = "crossposting", _("Crossposting set up")


class ChecklistTick(models.Model):
    """The current state of one step; the history of changes is in the audit log."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="checklist_ticks"
    )
    step = models.CharField(max_length=30, choices=ChecklistStep.choices)
    done = models.BooleanField(default=False)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "step"], name="one_tick_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.step}: {self.done}"


class StarterPack(models.Model):
    """A Bluesky curate list and the starter pack pointing to it, in one account's repository.
    Record keys are chosen and saved before the first write, so every later run updates the same
    records instead of creating new ones."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="starter_packs"
    )
    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.CASCADE, related_name="starter_packs"
    )
    name = models.CharField(_("name"), max_length=50)
    description = models.TextField(_("description"), max_length=300, blank=True)
    repo_did = models.CharField(max_length=255, blank=True)
    list_rkey = models.CharField(max_length=13)
    pack_rkey = models.CharField(max_length=13)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-synced_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="one_starter_pack_per_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def list_uri(self) -> str:
        return f"at://{self.repo_did}/app.bsky.graph.list/{self.list_rkey}"

    @property
    def pack_uri(self) -> str:
        return f"at://{self.repo_did}/app.bsky.graph.starterpack/{self.pack_rkey}"

    @property
    def web_url(self) -> str:
        return f"https://bsky.app/starter-pack/{self.account.handle}/{self.pack_rkey}"

    @property
    def list_web_url(self) -> str:
        return f"https://bsky.app/profile/{self.account.handle}/lists/{self.list_rkey}"


class StarterPackMember(models.Model):
    """One account wanted in the list. `rkey` is the list item's record key, fixed at selection."""

    pack = models.ForeignKey(StarterPack, on_delete=models.CASCADE, related_name="members")
    subject_did = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    rkey = models.CharField(max_length=13)
    synced = models.BooleanField(default=False)

    class Meta:
        ordering = ["handle", "subject_did"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "subject_did"], name="one_member_per_did")
        ]

    def __str__(self) -> str:
        return self.handle or self.subject_did
