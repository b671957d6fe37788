from django.contrib import admin

from envol.leaving.models import ChecklistTick, PublicLink, PublicPage, StarterPack


@admin.register(PublicPage)
class PublicPageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["organisation", "published", "updated_at"]


@admin.register(PublicLink)
class PublicLinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["organisation", "network", "handle", "url", "order", "shown"]


@admin.register(ChecklistTick)
class ChecklistTickAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["organisation", "step", "done", "changed_at", "changed_by"]


@admin.register(StarterPack)
class StarterPackAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["organisation", "account", "name", "synced_at"]
