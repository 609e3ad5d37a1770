"""Admin: monthly line usage (read-only: it is recomputed from the CDR store)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from telcrm.usage.models import LineUsageMonth


@admin.register(LineUsageMonth)
class LineUsageMonthAdmin(admin.ModelAdmin):
    list_display = [
        "subscription", "customer", "period", "voice_out_calls", "voice_out_seconds",
        "sms_out", "data_bytes", "charge", "active_days",
    ]  # fmt: skip
    list_filter = ["period"]
    search_fields = ["subscription__service_number", "customer__customer_number"]
    raw_id_fields = ["subscription", "customer"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Any | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Any | None = None
    ) -> bool:
        return False
