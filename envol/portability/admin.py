from django.contrib import admin

from envol.portability.models import ArchiveImport, SourceAccount


@admin.register(ArchiveImport)
class ArchiveImportAdmin(admin.ModelAdmin[ArchiveImport]):
    list_display = ("id", "organisation", "file_name", "state", "created_at", "finished_at")
    list_filter = ("state",)
    readonly_fields = ("counts", "added", "warnings", "top_mentions", "error", "error_fr")


@admin.register(SourceAccount)
class SourceAccountAdmin(admin.ModelAdmin[SourceAccount]):
    list_display = ("username", "organisation", "network", "remote_id")
    search_fields = ("username", "remote_id")
