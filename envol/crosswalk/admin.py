"""Admin: observations and links are read-only here (the crosswalk is written in bulk)."""

from django.contrib import admin
from django.http import HttpRequest

from envol.crosswalk.models import DatasetImport, SelfLinkConsent


@admin.register(SelfLinkConsent)
class SelfLinkConsentAdmin(admin.ModelAdmin[SelfLinkConsent]):
    list_display = ("connected_account", "organisation", "shared", "changed_at")
    readonly_fields = ("changed_at",)


@admin.register(DatasetImport)
class DatasetImportAdmin(admin.ModelAdmin[DatasetImport]):
    """Dataset imports and how far each got (an interrupted one resumes when run again)."""

    list_display = ("source", "file_name", "state", "lines_done", "imported", "updated", "rejected")
    list_filter = ("state", "source")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
