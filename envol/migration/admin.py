from django.contrib import admin

from envol.migration.models import MigrationItem, MigrationJob


@admin.register(MigrationJob)
class MigrationJobAdmin(admin.ModelAdmin[MigrationJob]):
    list_display = ("id", "organisation", "network", "account", "state", "total", "count_pending")
    list_filter = ("state", "network")
    readonly_fields = ("due_at", "lease_owner", "lease_until", "attempts", "last_error")


@admin.register(MigrationItem)
class MigrationItemAdmin(admin.ModelAdmin[MigrationItem]):
    list_display = ("id", "job", "target", "state", "record_key", "attempts", "reason")
    list_filter = ("state",)
    search_fields = ("target", "handle")
