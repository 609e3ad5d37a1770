"""The audit trail in the admin: read only, for everyone (superusers included)."""

from __future__ import annotations

from django.contrib import admin

from telcrm.audit.models import AuditEvent
from telcrm.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "username",
        "action",
        "target_type",
        "target_id",
        "ip_address",
    )
    list_filter = ("action", "at")
    search_fields = ("username", "target_id")
    date_hierarchy = "at"
    list_select_related = ("user",)
