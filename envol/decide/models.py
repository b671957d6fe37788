"""The decision: what each network costs (effort log, hourly rates, other costs), how the team
judges it (the eight questions, per network and date), what it decides (signed decisions) and
what it could do instead (reallocation scenarios).

A separate app from `insights` (which measures): deciding is a domain of its own, it reads
insights only through its services and models, and its migrations never collide with the
measurement side's (see docs/architecture.md, "Deciding").
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from envol.orgs.models import Organisation, Role


class NetworkChoice(models.TextChoices):
    BLUESKY = "bluesky", "Bluesky"
    MASTODON = "mastodon", "Mastodon"
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    YOUTUBE = "youtube", "YouTube"
    TIKTOK = "tiktok", "TikTok"
    THREADS = "threads", "Threads"
    NEWSLETTER = "newsletter", _("Newsletter")
    WEBSITE = "website", _("Website")


class Activity(models.TextChoices):
    GENERAL = "general", _("not specified")
    WRITING = "writing", _("writing")
    VIDEO = "video", _("video")
    MODERATION = "moderation", _("moderation")
    REPLYING = "replying", _("replying")
    ANALYTICS = "analytics", _("analytics")
    ADS = "ads", _("ads management")


class EffortEntry(models.Model):
    """Hours one person (or the team, `person` empty) spent on one network on one day.

    Rows from the weekly grid are one per (person, network, day) with no activity, and saving the
    grid again updates them; the CLI and CSV add rows; an estimate of the time spent on posts
    published through envol exists only once the team confirmed it (`source=estimate`), once per
    network and week."""

    class Source(models.TextChoices):
        GRID = "grid", _("weekly grid")
        CLI = "cli", _("command line")
        CSV = "csv", _("CSV import")
        ESTIMATE = "estimate", _("confirmed estimate of posts published with envol")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="effort_entries"
    )
    network = models.CharField(_("network"), max_length=20, choices=NetworkChoice.choices)
    day = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(168)],
    )
    activity = models.CharField(
        _("activity"), max_length=20, choices=Activity.choices, default=Activity.GENERAL
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="effort_entries",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "network"]
        indexes = [models.Index(fields=["organisation", "day"], name="effort_by_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person", "network", "day"],
                condition=models.Q(source="grid"),
                name="one_grid_cell",
            ),
            models.UniqueConstraint(
                fields=["organisation", "network", "day"],
                condition=models.Q(source="estimate"),
                name="one_estimate_a_week",
            ),
            models.CheckConstraint(  # a confirmed estimate covers a week, other rows a day
                condition=models.Q(hours__gte=0)
                & (models.Q(hours__lte=24) | models.Q(source="estimate", hours__lte=168)),
                name="hours_within_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.day} {self.hours} h"


class HourlyRate(models.Model):
    """What an hour costs: a person's own rate, else the rate of their role in the organisation,
    else the organisation's default (`person` and `role` both empty). Set by admins; never shown
    to viewers or reviewers."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="hourly_rates"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, blank=True)
    euros_per_hour = models.DecimalField(
        _("cost of an hour (€)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person"],
                condition=models.Q(person__isnull=False),
                name="one_rate_per_person",
            ),
            models.UniqueConstraint(
                fields=["organisation", "role"],
                condition=models.Q(person__isnull=True),
                name="one_rate_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.role or 'default'}: {self.euros_per_hour} €/h"


class OtherCost(models.Model):
    """Money spent on a network in a month other than staff time: ads, tools, an agency."""

    class Kind(models.TextChoices):
        ADS = "ads", _("ads")
        TOOLS = "tools", _("tools")
        AGENCY = "agency", _("agency")
        OTHER = "other", _("other")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="other_costs"
    )
    network = models.CharField(_("network"), max_length=20, choices=NetworkChoice.choices)
    month = models.DateField(_("month"))  # its first day
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    euros = models.DecimalField(
        _("amount (€)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "network"]

    def __str__(self) -> str:
        return f"{self.network} {self.month:%Y-%m} {self.kind} {self.euros} €"


class DecisionSettings(models.Model):
    """The organisation's own settings of the decision: minutes a post published with envol
    takes the team (the estimate it is offered), and the weight of each of the eight questions."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="decision_settings"
    )
    minutes_per_post = models.PositiveSmallIntegerField(
        _("minutes of work per post published with envol"),
        default=10,
        validators=[MaxValueValidator(600)],
    )
    weights = models.JSONField(default=dict)  # "1".."8" → weight (default 1)


class Assessment(models.Model):
    """The eight questions for one network on one date, as the team answered them. Never
    edited once another one follows: history is kept so that two dates can be compared."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="assessments"
    )
    network = models.CharField(_("network"), max_length=20, choices=NetworkChoice.choices)
    assessed_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.network} {self.assessed_on}"


class Answer(models.Model):
    """One question of an assessment: a score on the question's worded scale (0–4, or none
    yet), the argument, the sources, and — when it came from envol's defaults unchanged — the
    date of that default (so "to review" can be said of it)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    comment = models.TextField(_("comment"), blank=True)
    sources = models.JSONField(_("sources"), default=list)  # URLs
    from_default = models.BooleanField(default=False)
    default_dated = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["question"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="one_answer_each"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=4),
                name="score_on_the_scale",
            ),
        ]


class Recommendation(models.TextChoices):
    INVEST = "invest", _("invest")
    MAINTAIN = "maintain", _("maintain")
    REDUCE = "reduce", _("reduce")
    DORMANT = "dormant", _("leave, keeping the account dormant")


class Decision(models.Model):
    """What a person decided for a network, with the rationale, signed and dated. envol's own
    proposal and the figures it stood on are kept beside it, as they were that day."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="decisions"
    )
    network = models.CharField(_("network"), max_length=20, choices=NetworkChoice.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    proposed = models.CharField(max_length=10, choices=Recommendation.choices, blank=True)
    reasons = models.JSONField(default=list)
    figures = models.JSONField(default=dict)
    choice = models.CharField(_("decision"), max_length=10, choices=Recommendation.choices)
    rationale = models.TextField(_("rationale"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.network}: {self.choice}"


class Scenario(models.Model):
    """'Move N hours a month spent on one network to another': kept so the report shows it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="scenarios"
    )
    from_network = models.CharField(_("from"), max_length=20, choices=NetworkChoice.choices)
    to_network = models.CharField(_("to"), max_length=20, choices=NetworkChoice.choices)
    hours_per_month = models.DecimalField(
        _("hours a month"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(0.5), MaxValueValidator(400)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.hours_per_month} h/month {self.from_network} → {self.to_network}"
