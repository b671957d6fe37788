from django.contrib import admin

from envol.orgs.models import AuditEvent, ConnectedAccount, Membership, Organisation


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "slug", "kind"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin[ConnectedAccount]):
    list_display = ["organisation", "network", "handle", "status", "checked_at"]
    exclude = ["credentials_encrypted"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["at", "organisation", "actor", "action", "object_type", "object_id"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
