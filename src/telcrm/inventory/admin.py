"""Admin for subscriptions (lines)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from telcrm.inventory.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(SimpleHistoryAdmin):
    list_display = [
        "subscription_id",
        "service_number",
        "customer",
        "offering",
        "status",
        "start_date",
        "contract_end",
    ]
    list_filter = ["status", "offering__line_of_business"]
    search_fields = ["subscription_id", "service_number", "customer__customer_number"]
    raw_id_fields = ["customer", "billing_account", "service_account", "offering"]
    list_select_related = ["customer", "offering"]
