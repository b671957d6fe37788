from django.contrib import admin

from envol.relays.models import Relay, RelayItem, RelaySwitch, RelayTarget


class RelayTargetInline(admin.TabularInline[RelayTarget, Relay]):
    model = RelayTarget
    extra = 0


@admin.register(Relay)
class RelayAdmin(admin.ModelAdmin[Relay]):
    list_display = ("id", "name", "organisation", "source_kind", "state", "due_at", "error_count")
    list_filter = ("state", "source_kind")
    search_fields = ("name", "source")
    readonly_fields = ("due_at", "lease_owner", "lease_until", "attempts", "last_error")
    inlines = [RelayTargetInline]


@admin.register(RelayItem)
class RelayItemAdmin(admin.ModelAdmin[RelayItem]):
    list_display = ("id", "relay", "title", "outcome", "reason", "seen_at", "relayed_at")
    list_filter = ("outcome", "reason")
    search_fields = ("key", "title")
    raw_id_fields = ("post",)


admin.site.register(RelaySwitch)
