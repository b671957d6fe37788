from django.contrib import admin

from envol.jobs.models import AccountBudget, BudgetReservation


@admin.register(AccountBudget)
class AccountBudgetAdmin(admin.ModelAdmin[AccountBudget]):
    list_display = ("account_id", "action", "updated_at")
    readonly_fields = ("account_id", "action", "windows", "updated_at")


@admin.register(BudgetReservation)
class BudgetReservationAdmin(admin.ModelAdmin[BudgetReservation]):
    list_display = ("account_id", "key", "created_at")
    readonly_fields = ("account_id", "key", "points", "created_at")
