"""The instance's administrator edits the accessibility statement and the legal notice here."""

from django.contrib import admin

from envol.web.models import SitePage


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kind", "compliance", "updated_at")
    fields = ("kind", "compliance", "body_fr", "body_en")
