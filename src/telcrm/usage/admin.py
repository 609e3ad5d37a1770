"""Admin: monthly line usage (read-only: it is recomputed from the CDR store)."""

from __future__ import annotations

from django.contrib import admin

from telcrm.core.admin import ReadOnlyAdmin
from telcrm.usage.models import LineUsageMonth


@admin.register(LineUsageMonth)
class LineUsageMonthAdmin(ReadOnlyAdmin):
    list_display = [
        "subscription", "customer", "period", "voice_out_calls", "voice_out_seconds",
        "sms_out", "data_bytes", "charge", "active_days",
    ]  # fmt: skip
    list_filter = ["period"]
    search_fields = ["subscription__service_number", "customer__customer_number"]
    raw_id_fields = ["subscription", "customer"]
