"""Admin: observations and links are read-only here (the crosswalk is written in bulk)."""

from django.contrib import admin

from envol.crosswalk.models import SelfLinkConsent


@admin.register(SelfLinkConsent)
class SelfLinkConsentAdmin(admin.ModelAdmin[SelfLinkConsent]):
    list_display = ("connected_account", "organisation", "shared", "changed_at")
    readonly_fields = ("changed_at",)
