"""Texts of the instance itself, set by its administrator: the accessibility statement and the
legal notice, linked from every page's footer."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SitePage(models.Model):
    """One page of the instance. Blank texts fall back to envol's defaults (web/site_texts/)."""

    class Kind(models.TextChoices):
        ACCESSIBILITY = "accessibility", _("Accessibility statement")
        LEGAL = "legal", _("Legal notice")

    class Compliance(models.TextChoices):
        """The RGAA's three statuses; the footer link says which one applies."""

        NONE = "none", _("not compliant")
        PARTIAL = "partial", _("partially compliant")
        FULL = "full", _("fully compliant")

    kind = models.CharField(_("page"), max_length=20, choices=Kind.choices, unique=True)
    body_fr = models.TextField(
        _("text in French"),
        blank=True,
        help_text=_(
            "Markdown (headings with #, lists with -, links); HTML is shown as text. "
            "Leave empty to show envol's default text."
        ),
    )
    body_en = models.TextField(_("text in English"), blank=True)
    compliance = models.CharField(
        _("compliance (accessibility statement only)"),
        max_length=10,
        choices=Compliance.choices,
        default=Compliance.NONE,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("instance page")
        verbose_name_plural = _("instance pages")

    def __str__(self) -> str:
        return str(self.get_kind_display())
