"""Admin bases shared by the apps whose rows only their services write."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows that services create (an import, a linkage run): staff never add or
    delete them by hand; what they may change is each admin's own business."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Any | None = None
    ) -> bool:
        return False


class ReadOnlyAdmin(ServiceWrittenAdmin):
    """A record of what happened (a ledger, a summary): staff read it."""

    def has_change_permission(
        self, request: HttpRequest, obj: Any | None = None
    ) -> bool:
        return False
