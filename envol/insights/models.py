"""What each network brings: channels, their posts, metric values over time, imports of the
closed platforms' exports, own short links and their clicks, campaigns.

The metric tables are *narrow*: one row per (subject, metric, day) with its value, its kind
(exact | proxy | absent) and its source (snapshot, import, short links). Why not one column per
metric: every value must carry its own kind and source, the platforms' metrics differ and get
renamed, and a new metric must not need a migration. See docs/architecture.md, "Insights".

Idempotency is in the unique keys: a post is (channel, remote id); a post's value is
(post, metric, day) — a snapshot re-run the same day, or a re-imported file, updates its rows;
an account's daily value is (channel, metric, day) — an overlapping export updates those days.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.networks.metrics import Metric, MetricKind, Platform
from envol.orgs.models import ConnectedAccount, Organisation


class PlatformChoice(models.TextChoices):
    BLUESKY = Platform.BLUESKY.value, "Bluesky"
    MASTODON = Platform.MASTODON.value, "Mastodon"
    X = Platform.X.value, "X"
    FACEBOOK = Platform.FACEBOOK.value, "Facebook"
    INSTAGRAM = Platform.INSTAGRAM.value, "Instagram"
    LINKEDIN = Platform.LINKEDIN.value, "LinkedIn"
    YOUTUBE = Platform.YOUTUBE.value, "YouTube"
    TIKTOK = Platform.TIKTOK.value, "TikTok"


class MetricChoice(models.TextChoices):
    VIEWS = Metric.VIEWS.value, _("views")
    IMPRESSIONS = Metric.IMPRESSIONS.value, _("impressions")
    REACH = Metric.REACH.value, _("reach")
    ENGAGEMENTS = Metric.ENGAGEMENTS.value, _("engagements")
    LIKES = Metric.LIKES.value, _("likes")
    COMMENTS = Metric.COMMENTS.value, _("comments")
    SHARES = Metric.SHARES.value, _("shares")
    QUOTES = Metric.QUOTES.value, _("quotes")
    SAVES = Metric.SAVES.value, _("saves")
    CLICKS = Metric.CLICKS.value, _("clicks")
    PROFILE_VISITS = Metric.PROFILE_VISITS.value, _("profile visits")
    FOLLOWERS_GAINED = Metric.FOLLOWERS_GAINED.value, _("followers gained")
    WATCH_HOURS = Metric.WATCH_HOURS.value, _("watch hours")
    FOLLOWERS = Metric.FOLLOWERS.value, _("followers")
    FOLLOWING = Metric.FOLLOWING.value, _("following")
    POSTS = Metric.POSTS.value, _("posts")


class KindChoice(models.TextChoices):
    EXACT = MetricKind.EXACT.value, _("exact")
    PROXY = MetricKind.PROXY.value, _("proxy")
    ABSENT = MetricKind.ABSENT.value, _("absent")


class Source(models.TextChoices):
    SNAPSHOT = "snapshot", _("snapshot")
    IMPORT = "import", _("imported file")
    SHORT_LINKS = "shortlinks", _("short links")


class Channel(models.Model):
    """An organisation's presence on one platform: a connected Bluesky or Mastodon account, or a
    closed-platform page or account known from its exports (`connected_account` empty)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="channels"
    )
    platform = models.CharField(_("platform"), max_length=20, choices=PlatformChoice.choices)
    name = models.CharField(_("name"), max_length=255, blank=True)
    connected_account = models.OneToOneField(
        ConnectedAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="channel",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "platform", "name"], name="one_channel_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.name}".strip()


class MetricsImport(models.Model):
    """One analytics export read into envol. Written only when the whole file was read: a bad
    file leaves no row at all."""

    class Kind(models.TextChoices):
        POSTS = "posts", _("posts")
        DAILY = "daily", _("daily")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="metrics_imports"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="imports")
    platform = models.CharField(max_length=20, choices=PlatformChoice.choices)
    file_kind = models.CharField(max_length=40)  # e.g. x_content, meta_daily (exports.columns)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    totals = models.JSONField(default=dict)
    warnings = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.platform} {self.file_name}"


class ChannelPost(models.Model):
    """A post on any platform: envol's own (its `Publication` linked when known), another post of
    a connected account, or a closed-platform post read from an export."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="posts")
    remote_id = models.CharField(max_length=255)  # X post id, at:// URI, status id, video id…
    url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)  # local date: period filters
    text = models.TextField(blank=True)
    post_type = models.CharField(max_length=60, blank=True)
    # Hashtags, lower-cased, space-separated with a space at both ends (" crue rennes "), so a
    # campaign's tag is one `contains` in SQL on every database.
    tags = models.CharField(max_length=1000, blank=True)
    publication = models.ForeignKey(
        "publishing.Publication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="channel_posts",
    )
    first_import = models.ForeignKey(
        MetricsImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "remote_id"], name="one_channel_post_per_remote_id"
            )
        ]
        indexes = [models.Index(fields=["channel", "published_on"], name="post_by_day")]

    def __str__(self) -> str:
        return f"{self.channel} {self.remote_id}"


class MetricValue(models.Model):
    """Shared columns of a measured value. `value` is empty only for an `absent` kind."""

    metric = models.CharField(max_length=30, choices=MetricChoice.choices)
    day = models.DateField()  # the day it describes (daily rows) or was read (post rows)
    value = models.FloatField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=KindChoice.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    metrics_import = models.ForeignKey(
        MetricsImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    observed_at = models.DateTimeField()  # when envol read it

    class Meta:
        abstract = True


class PostMetric(MetricValue):
    """One metric of one post as read on one day. A post's current value is its latest row;
    figures over a period add each post's latest value (never two days of the same post)."""

    post = models.ForeignKey(ChannelPost, on_delete=models.CASCADE, related_name="metrics")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "metric", "day"], name="one_post_metric_a_day"),
            models.CheckConstraint(
                condition=models.Q(kind="absent", value__isnull=True)
                | (~models.Q(kind="absent") & models.Q(value__isnull=False)),
                name="post_metric_value_iff_measured",
            ),
        ]


class ChannelMetric(MetricValue):
    """One metric of one channel for one day: a flow of that day (views, followers gained) or a
    level read that day (followers; see `metrics.LEVELS`)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="metrics")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "metric", "day"], name="one_channel_metric_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="absent", value__isnull=True)
                | (~models.Q(kind="absent") & models.Q(value__isnull=False)),
                name="channel_metric_value_iff_measured",
            ),
        ]


class ColumnMapping(models.Model):
    """Columns an editor assigned by hand for a file whose headers envol did not know, remembered
    for the organisation's next file with the same headers (web and CLI alike)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="column_mappings"
    )
    headers_signature = models.CharField(max_length=64)  # sha256 of the normalised headers
    file_kind = models.CharField(max_length=40)
    platform = models.CharField(max_length=20, choices=PlatformChoice.choices)
    columns = models.JSONField(default=dict)  # envol field → the file's header
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "headers_signature"], name="one_mapping_per_headers"
            )
        ]


class Campaign(models.Model):
    """Posts grouped across networks by period and/or hashtags, plus the short links made for it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("to"), null=True, blank=True)
    tags = models.JSONField(_("hashtags"), default=list)  # lower-case, without '#'
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="one_campaign_per_name")
        ]

    def __str__(self) -> str:
        return self.name


class ShortLink(models.Model):
    """`ENVOL_PUBLIC_URL/l/<code>` → `target_url`. One per network variant of a post, so each
    click is attributed to the network that sent it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="short_links"
    )
    code = models.CharField(max_length=16, unique=True)
    target_url = models.URLField(max_length=2000)
    platform = models.CharField(max_length=20, choices=PlatformChoice.choices, blank=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    post = models.ForeignKey(
        "publishing.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="short_links",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "platform", "target_url"],
                condition=models.Q(post__isnull=False),
                name="one_link_per_variant",
            )
        ]

    def __str__(self) -> str:
        return self.code


class LinkClickDay(models.Model):
    """Clicks of one link on one day (bots excluded), and the day's distinct visitors."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="click_days")
    day = models.DateField()
    clicks = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="one_count_a_day")]


class LinkVisitor(models.Model):
    """Today's visitors of a link, as hashes salted with today's salt: no address, no cookie.
    Yesterday's rows are deleted with yesterday's salt (see `shortlinks.daily_salt`)."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    digest = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "day", "digest"], name="one_visitor_a_day")
        ]


class ClickSalt(models.Model):
    """The day's random salt; forgotten (deleted) the next day, so no hash can be recomputed."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)
