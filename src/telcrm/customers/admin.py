"""Admin for customers, their interactions, consents and the do-not-call list."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from telcrm.customers.models import (
    Consent,
    Customer,
    CustomerSourceKey,
    DoNotCallEntry,
    Interaction,
)
from telcrm.lib.masking import mask_phone


class SourceKeyInline(admin.TabularInline):
    model = CustomerSourceKey
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = [
        "customer_number",
        "party",
        "status",
        "customer_since",
        "account_manager",
        "segment_code",
    ]
    list_filter = ["status", "acquisition_channel", "segment_code"]
    search_fields = ["customer_number", "party__name"]
    raw_id_fields = ["party", "account_manager"]
    list_select_related = ["party", "account_manager"]
    inlines = [SourceKeyInline]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "customer", "channel", "kind", "reason", "outcome"]
    list_filter = ["channel", "kind", "reason", "outcome"]
    search_fields = ["reference", "customer__customer_number"]
    raw_id_fields = ["customer", "subscription", "staff"]
    date_hierarchy = "occurred_at"


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["customer", "purpose", "channel", "status", "granted_at"]
    list_filter = ["purpose", "channel", "status", "source"]
    search_fields = ["customer__customer_number"]
    raw_id_fields = ["customer", "recorded_by"]


@admin.register(DoNotCallEntry)
class DoNotCallEntryAdmin(SimpleHistoryAdmin):
    list_display = ["masked_phone", "source", "added_at", "expires_at"]
    list_filter = ["source"]
    search_fields = ["phone"]

    @admin.display(description="phone")
    def masked_phone(self, obj: DoNotCallEntry) -> str:
        return mask_phone(obj.phone)
